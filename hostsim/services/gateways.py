"""Payment gateway modules as the admin manages them: activate, configure, deactivate.

The settings follow the addon settings' rules (:func:`hostsim.services.addon_settings.normalise_field`):
a ``password`` field is stored encrypted, shown as a mask, and the mask submitted back keeps it.
Every change goes to the activity log, secrets without their values.
"""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import TYPE_CHECKING, Callable, Mapping

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from hostsim.db.models import Currency, Gateway, GatewaySetting, Invoice
from hostsim.money import round_money
from hostsim.plugins.gateway_registry import UnknownGateway
from hostsim.plugins.gateway_types import GatewayParams, PayableInvoice
from hostsim.services.addon_settings import PASSWORD_MASK, normalise_field, write_setting_row

if TYPE_CHECKING:
    from hostsim.host import Host

DISPLAY_NAME_MAX = 100
ORDER_MAX = 9999
#: The human names of the settings every gateway has (its own fields have their friendly names).
LABELS = {"display_name": "Display Name", "order": "Order", "currencies": "Currencies", "gateway": "Payment gateway"}


class GatewayError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class GatewayService:
    def __init__(self, host: "Host") -> None:
        self.host = host

    # --- what there is ---------------------------------------------------------------------

    def _check_installed(self, name: str) -> None:
        if not self.host.gateways.is_installed(name):
            raise GatewayError("gateway", f"no payment gateway named {name!r} is installed")

    def active(self, currency_code: str | None = None) -> list[Gateway]:
        """Active gateways in the admin's order, those offered for ``currency_code`` when given."""
        with self.host.sessions() as s:
            rows = list(s.scalars(select(Gateway).order_by(Gateway.sort_order, Gateway.display_name)))
        installed = set(self.host.gateways.installed())
        return [g for g in rows if g.name in installed
                and (currency_code is None or not g.currency_codes or currency_code in g.currency_codes)]

    def get_active(self, name: str) -> Gateway | None:
        with self.host.sessions() as s:
            row = s.get(Gateway, name)
        return row if row is not None and self.host.gateways.is_installed(name) else None

    def display_name(self, name: str) -> str:
        """The human name of a payment method: the admin's, else the module's, else the raw name
        (a payment recorded by hand with a free-text method)."""
        if not name:
            return ""
        row = self.get_active(name)
        if row is not None:
            return row.display_name
        if self.host.gateways.is_installed(name):
            return self.host.gateways.config(name).display_name
        return {"manual": "Manual", "credit": "Credit"}.get(name, name)

    def display_names(self) -> dict[str, str]:
        """Every known method's human name at once (for lists of payments)."""
        names = {"manual": "Manual", "credit": "Credit"}
        for name in self.host.gateways.installed():
            names[name] = self.host.gateways.config(name).display_name
        for row in self.active():
            names[row.name] = row.display_name
        return names

    def field_label(self, name: str, field: str) -> str:
        """A :class:`GatewayError` field in words: "Order", "Signing secret"."""
        if field in LABELS:
            return LABELS[field]
        if self.host.gateways.is_installed(name):
            for f in self.host.gateways.config(name).fields:
                if f.key == field:
                    return f.friendly_name
        return field

    # --- settings --------------------------------------------------------------------------

    def settings(self, name: str) -> dict[str, str]:
        """The gateway's settings, defaults filled in, secrets decrypted (never render these)."""
        config = self.host.gateways.config(name)
        values = {f.key: f.default for f in config.fields}
        with self.host.sessions() as s:
            for row in s.scalars(select(GatewaySetting).where(GatewaySetting.gateway == name)):
                values[row.setting] = self.host.secrets.decrypt(row.value) if row.encrypted and row.value else row.value
        return values

    def for_display(self, name: str) -> dict[str, str]:
        """Values safe to render: a set password as the mask."""
        config = self.host.gateways.config(name)
        values = self.settings(name)
        for f in config.fields:
            if f.type == "password":
                values[f.key] = PASSWORD_MASK if values.get(f.key) else ""
        return values

    def secret_values(self, name: str) -> list[str]:
        config = self.host.gateways.config(name)
        values = self.settings(name)
        return [values[f.key] for f in config.fields if f.type == "password" and values.get(f.key)]

    def params(self, name: str) -> GatewayParams:
        row = self.get_active(name)
        base = self.host.config.base_url.rstrip("/")
        return GatewayParams(name=name, display_name=row.display_name if row else self.display_name(name),
                             settings=self.settings(name), callback_url=f"{base}/modules/gateways/callback/{name}",
                             base_url=base, company_name=self.host.settings.get("company_name"))

    def payable(self, invoice: Invoice) -> PayableInvoice:
        base = self.host.config.base_url.rstrip("/")
        return PayableInvoice(id=invoice.id, client_id=invoice.client_id, client_name=invoice.client.full_name,
                              client_email=invoice.client.email, currency_code=invoice.currency.code,
                              total=round_money(invoice.total, invoice.currency.code),
                              balance=round_money(max(self.host.invoices.balance(invoice), Decimal("0")),
                                                  invoice.currency.code),
                              due_date=invoice.due_date, return_url=f"{base}/clientarea/invoices/{invoice.id}")

    def instructions(self, invoice_id: int) -> str:
        """How to pay one invoice, as plain text ('' when there is nothing to say).

        The instructions of the invoice's chosen payment method when it is active and has some,
        else of the first active gateway (in the admin's order, offered for the invoice's
        currency) that has some: Bank Transfer's account details with the invoice number as the
        reference, say. For the invoice page, the invoice email and the PDF alike.
        """
        with self.host.sessions() as s:
            invoice = s.get(Invoice, invoice_id)
            if invoice is None:
                return ""
            payable = self.payable(invoice)
            chosen = invoice.payment_method
        candidates = [g.name for g in self.active(payable.currency_code)]
        if chosen in candidates:
            candidates.remove(chosen)
            candidates.insert(0, chosen)
        for name in candidates:
            text = self.host.gateways.instructions(name, self.params(name), payable).strip()
            if text:
                return text
        return ""

    def instructions_writer(self) -> "Callable[[PayableInvoice, str], str]":
        """``write(invoice, chosen_method)`` -> instructions text, for many invoices at once (an
        email run): the active gateways and their settings are read once, not per invoice."""
        active = self.active()
        params = {g.name: self.params(g.name) for g in active}

        def write(invoice: PayableInvoice, chosen: str = "") -> str:
            names = [g.name for g in active if not g.currency_codes or invoice.currency_code in g.currency_codes]
            if chosen in names:
                names.remove(chosen)
                names.insert(0, chosen)
            for name in names:
                text = self.host.gateways.instructions(name, params[name], invoice).strip()
                if text:
                    return text
            return ""

        return write

    # --- changes ---------------------------------------------------------------------------

    def activate(self, name: str, *, actor: str = "System") -> None:
        self._check_installed(name)
        config = self.host.gateways.config(name)
        with self.host.transaction() as s:
            if s.get(Gateway, name) is not None:
                raise GatewayError("gateway", f"{config.display_name} is already active")
            order = (s.scalar(select(func.max(Gateway.sort_order))) or 0) + 1
            s.add(Gateway(name=name, display_name=config.display_name, sort_order=order, currencies="",
                          activated_at=self.host.clock.now()))
            s.flush()
            for f in config.fields:
                secret = f.type == "password" and bool(f.default)
                s.add(GatewaySetting(gateway=name, setting=f.key, encrypted=secret,
                                     value=self.host.secrets.encrypt(f.default) if secret else f.default))
            self.host.activity.log(f"Payment gateway {config.display_name} activated", actor=actor, session=s)

    def deactivate(self, name: str, *, actor: str = "System") -> None:
        self._check_installed(name)
        with self.host.transaction() as s:
            row = s.get(Gateway, name)
            if row is None:
                raise GatewayError("gateway", f"{self.display_name(name)} is not active")
            shown = row.display_name
            s.execute(delete(GatewaySetting).where(GatewaySetting.gateway == name))
            s.delete(row)
            self.host.activity.log(f"Payment gateway {shown} deactivated", actor=actor, session=s)

    def configure(self, name: str, *, display_name: str | None = None, order: str | int | None = None,
                  currencies: str | None = None, settings: Mapping[str, str] | None = None,
                  actor: str = "System") -> list[str]:
        """Validate everything, then store; returns what changed. Nothing is saved on an error.

        ``currencies``: comma-separated codes, empty for every currency. ``settings``: the
        submitted config fields (a field left out keeps its value; the password mask keeps it too).
        """
        self._check_installed(name)
        config = self.host.gateways.config(name)
        fields = {f.key: f for f in config.fields}
        clean_name = None if display_name is None else display_name.strip()
        if clean_name is not None and not (clean_name and len(clean_name) <= DISPLAY_NAME_MAX
                                           and clean_name.isprintable()):
            raise GatewayError("display_name", f"must be 1 to {DISPLAY_NAME_MAX} printable characters")
        clean_order: int | None = None
        if order is not None:
            text = str(order).strip()
            if not (text.isascii() and text.isdigit()) or int(text) > ORDER_MAX:  # "²" is a digit int() refuses
                raise GatewayError("order", f"must be a whole number from 0 to {ORDER_MAX}")
            clean_order = int(text)
        codes: list[str] | None = None
        if currencies is not None:
            codes = sorted({c.strip().upper() for c in currencies.split(",") if c.strip()})
        new_values: dict[str, str] = {}
        for key, raw in (settings or {}).items():
            if key not in fields:
                raise GatewayError(key, f"{config.display_name} has no setting {key!r}")
            try:
                value = normalise_field(fields[key], {key: raw})
            except ValueError as exc:  # its message starts with the label the error's field stands for
                raise GatewayError(key, str(exc).removeprefix(f"{fields[key].friendly_name}: ")) from exc
            if value is not None:
                new_values[key] = value
        changed: list[str] = []
        with self.host.transaction() as s:
            row = s.get(Gateway, name)
            if row is None:
                raise GatewayError("gateway", f"{config.display_name} is not active: activate it first")
            shown_name = row.display_name  # the name the admin knew it by, before a rename
            if codes is not None:
                known = set(s.scalars(select(Currency.code)))
                unknown = [c for c in codes if c not in known]
                if unknown:
                    raise GatewayError("currencies", f"no currency {', '.join(unknown)}")
                if ",".join(codes) != row.currencies:
                    row.currencies = ",".join(codes)
                    changed.append("currencies")
            if clean_name is not None and clean_name != row.display_name:
                row.display_name = clean_name
                changed.append("display_name")
            if clean_order is not None and clean_order != row.sort_order:
                row.sort_order = clean_order
                changed.append("order")
            changed += self._write_settings(s, name, new_values, fields)
            for key in changed:
                if key in fields and fields[key].type == "password":
                    shown = "changed"  # never the secret
                elif key in fields:
                    shown = f"changed to {new_values[key]!r}" if new_values[key] else "cleared"
                elif key == "currencies":
                    shown = f"changed to {', '.join(row.currency_codes) or 'every currency'}"
                else:
                    shown = f"changed to {getattr(row, {'order': 'sort_order'}.get(key, key))!r}"
                label = fields[key].friendly_name if key in fields else LABELS[key]
                self.host.activity.log(f"Payment gateway {shown_name}: {label} {shown}", actor=actor, session=s)
        return changed

    def _write_settings(self, s: Session, name: str, values: Mapping[str, str],
                        fields: Mapping[str, object]) -> list[str]:
        rows = {r.setting: r for r in s.scalars(select(GatewaySetting).where(GatewaySetting.gateway == name))}
        changed = []
        for key, value in values.items():
            secret = getattr(fields[key], "type", "") == "password"
            written, _old = write_setting_row(
                self.host.secrets, rows.get(key), value, secret,
                functools.partial(_add_gatewaysetting, s, name, key))
            if written:
                changed.append(key)
        return changed


__all__ = ["GatewayError", "GatewayService", "UnknownGateway"]


def _add_gatewaysetting(s: Session, owner: str, key: str, stored: str, encrypted: bool) -> None:
    s.add(GatewaySetting(gateway=owner, setting=key, value=stored, encrypted=encrypted))
