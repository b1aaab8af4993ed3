"""Changing a client's currency, by WHMCS's rule: only while the client has no invoices (and no
credit), since amounts already billed or held stay in the currency they were made in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from hostsim.db.locking import get_for_update
from hostsim.db.models import Client, Currency, Invoice
from hostsim.services.clients import ClientError, update_client

if TYPE_CHECKING:
    from hostsim.host import Host


def change_currency(host: "Host", client_id: int, code: str, *, actor: str = "System") -> bool:
    """Give client ``client_id`` currency ``code`` (an active one); logged, ``client_edit`` fires.
    False when it already has it. ClientError names the field when it may not change."""
    wanted = (code or "").strip().upper()
    with host.transaction() as s:
        client = get_for_update(s, Client, client_id)  # a concurrent change waits for this one
        if client is None:
            raise ClientError("client_id", f"no client #{client_id}")
        currency = s.scalars(select(Currency).where(Currency.code == wanted)).first()
        if currency is None or not currency.active:
            raise ClientError("currency", f"{wanted or code!r} is not an active currency")
        old = s.get(Currency, client.currency_id)
        if currency.id == client.currency_id:
            return False
        invoices = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.client_id == client_id)) or 0
        if invoices:
            raise ClientError("currency", f"the client has {invoices} invoice(s): the currency can only be changed "
                                          "while a client has no invoices")
        if client.credit:
            raise ClientError("currency", "the client has a credit balance: remove it before changing the currency")
        update_client(host, client_id, actor=actor, session=s, currency_id=currency.id)
        host.activity.log(f"Client #{client_id} currency changed from {old.code if old else '?'} to {currency.code}",
                          actor=actor, client_id=client_id, session=s)
    return True
