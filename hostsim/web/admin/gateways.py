"""Setup > Payments > Payment Gateways (activate, configure, deactivate the gateway modules) and
the Gateway Log of every callback they received.

Every change goes through :class:`hostsim.services.gateways.GatewayService`, the same functions
as ``hostsim gateway``: it validates everything before it stores anything and logs the changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from flask import abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.db.models import Currency, GatewayLog, Invoice
from hostsim.plugins.gateway_types import GatewayConfig
from hostsim.services.gateway_callbacks import OUTCOME_LABELS
from hostsim.services.gateways import DISPLAY_NAME_MAX, ORDER_MAX, GatewayError
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required, full_admin_required
from hostsim.web.context import current_admin, get_host
from hostsim.web.forms import CONFIG_FIELD_PREFIX
from hostsim.web.pagination import paginate

log = logging.getLogger(__name__)

LOG_PER_PAGE = 50


@dataclass
class GatewayRow:
    name: str
    title: str  # the human name: the admin's display name when active, else the module's
    config: GatewayConfig | None
    active: bool = False
    order: int = 0
    currencies: list[str] = field(default_factory=list)
    #: Form values safe to render: never a secret (a set one is only named in ``secrets_set``).
    values: dict[str, str] = field(default_factory=dict)
    secrets_set: set[str] = field(default_factory=set)
    error: str = ""


def _row(name: str) -> GatewayRow:
    host = get_host()
    try:
        config = host.gateways.config(name)
    except Exception as exc:  # one broken module still lets the page list the others
        log.exception("gateway %s: config failed", name)
        return GatewayRow(name, name, None, error=f"The gateway's configuration could not be read: {exc}")
    active = host.payment_gateways.get_active(name)
    if active is None:
        return GatewayRow(name, config.display_name, config)
    stored = host.payment_gateways.settings(name)
    secrets = {f.key for f in config.fields if f.type == "password"}
    values = {k: v for k, v in stored.items() if k not in secrets}
    values.update(display_name=active.display_name, order=str(active.sort_order))
    return GatewayRow(name, active.display_name, config, active=True, order=active.sort_order,
                      currencies=active.currency_codes, values=values,
                      secrets_set={k for k in secrets if stored.get(k)})


def _currency_choices(selected: list[str]) -> list[str]:
    """Active currencies, and any inactive one the gateway is still limited to."""
    with get_host().sessions() as s:
        rows = list(s.scalars(select(Currency).order_by(Currency.id)))
    return [c.code for c in rows if c.active or c.code in selected]


def _installed(name: str) -> None:
    if not get_host().gateways.is_installed(name):
        abort(404)


def _render(*, open_name: str = "", submitted: GatewayRow | None = None, errors: dict[str, str] | None = None,
            status: int = 200) -> tuple[str, int]:
    rows = [submitted if submitted is not None and submitted.name == name else _row(name)
            for name in get_host().gateways.installed()]
    selected = sorted({c for r in rows for c in r.currencies})
    return render_template("admin/gateways.html", rows=rows, open_name=open_name, errors=errors or {},
                           currency_choices=_currency_choices(selected), prefix=CONFIG_FIELD_PREFIX,
                           display_name_max=DISPLAY_NAME_MAX, order_max=ORDER_MAX), status


@bp.get("/gateways")
@full_admin_required
def gateways() -> tuple[str, int]:
    return _render(open_name=request.args.get("configure", ""))


@bp.post("/gateways/<name>/activate")
@full_admin_required
def gateway_activate(name: str) -> Response:
    _installed(name)
    host = get_host()
    admin = current_admin()
    assert admin is not None
    try:
        host.payment_gateways.activate(name, actor=admin.username)
    except GatewayError as exc:
        flash(f"Not activated: {exc.message}.", "error")
        return redirect(url_for("admin.gateways"))
    flash(f"{host.payment_gateways.display_name(name)} activated. Review its settings below.", "success")
    return redirect(url_for("admin.gateways", configure=name))


@bp.route("/gateways/<name>/deactivate", methods=["GET", "POST"])
@full_admin_required
def gateway_deactivate(name: str) -> Response | str:
    """GET asks for confirmation (the settings are deleted, secrets included); POST deactivates."""
    _installed(name)
    host = get_host()
    row = _row(name)
    if not row.active:
        flash(f"{row.title} is not active.", "info")
        return redirect(url_for("admin.gateways"))
    if request.method == "GET":
        return render_template("admin/gateway_deactivate.html", row=row)
    admin = current_admin()
    assert admin is not None
    try:
        host.payment_gateways.deactivate(name, actor=admin.username)
    except GatewayError as exc:  # deactivated meanwhile, by another admin or the CLI
        flash(f"Not deactivated: {exc.message}.", "error")
    else:
        flash(f"{row.title} deactivated. Clients can no longer pay with it.", "success")
    return redirect(url_for("admin.gateways"))


@bp.post("/gateways/<name>/configure")
@full_admin_required
def gateway_configure(name: str) -> Response | tuple[str, int]:
    _installed(name)
    host = get_host()
    admin = current_admin()
    assert admin is not None
    row = _row(name)
    if not row.active or row.config is None:
        flash(f"Activate {row.title} before configuring it.", "error")
        return redirect(url_for("admin.gateways"))
    form = request.form
    settings: dict[str, str] = {}
    clear = set(form.getlist("clear"))
    for f in row.config.fields:
        key = CONFIG_FIELD_PREFIX + f.key
        if f.type == "yesno":
            settings[f.key] = form.get(key, "")  # an unticked checkbox is absent from a form
        elif f.type == "password":
            typed = form.get(key, "")
            if f.key in clear:
                settings[f.key] = ""
            elif typed.strip():
                settings[f.key] = typed
            # left blank: keep the stored secret (it is never rendered back)
        elif key in form:
            settings[f.key] = form[key]
    currencies = ",".join(form.getlist("currencies"))
    try:
        changed = host.payment_gateways.configure(
            name, display_name=form.get("display_name"), order=form.get("order"), currencies=currencies,
            settings=settings, actor=admin.username)
    except GatewayError as exc:
        if exc.field == "gateway":  # deactivated meanwhile
            flash(f"Nothing was saved: {exc.message}.", "error")
            return redirect(url_for("admin.gateways"))
        label = host.payment_gateways.field_label(name, exc.field)
        row.values.update({k: form.get(k, "") for k in ("display_name", "order")})
        row.values.update({k: v for k, v in settings.items()
                           if k not in {f.key for f in row.config.fields if f.type == "password"}})
        row.currencies = form.getlist("currencies")
        return _render(open_name=name, submitted=row, errors={exc.field: f"{label}: {exc.message}"}, status=400)
    shown = host.payment_gateways.display_name(name)
    flash(f"{shown}: changes saved." if changed else f"{shown}: No change.", "success")
    return redirect(url_for("admin.gateways"))


# --- the Gateway Log ------------------------------------------------------------------------


@bp.get("/gateways/log")
@admin_required
def gateway_log() -> str:
    host = get_host()
    gateway = request.args.get("gateway", "")[:64]
    outcome = request.args.get("outcome", "")
    stmt = select(GatewayLog).order_by(GatewayLog.id.desc())
    if gateway:
        stmt = stmt.where(GatewayLog.gateway == gateway)
    if outcome in OUTCOME_LABELS:
        stmt = stmt.where(GatewayLog.outcome == outcome)
    else:
        outcome = ""
    with host.sessions() as s:
        page = paginate(s, stmt, per_page=LOG_PER_PAGE)
        wanted = {e.invoice_id for e in page.items if e.invoice_id is not None}
        # Only invoices that exist get a link: a callback may name one that does not.
        invoices = set(s.scalars(select(Invoice.id).where(Invoice.id.in_(wanted)))) if wanted else set()
        logged: set[str] = set(s.scalars(select(GatewayLog.gateway).distinct()))
    names = host.payment_gateways.display_names()
    choices = [(n, names.get(n) or n) for n in set(host.gateways.installed()) | logged]
    return render_template("admin/gateway_log.html", page=page, names=names, outcomes=OUTCOME_LABELS,
                           invoices=invoices, gateway=gateway, outcome=outcome,
                           gateway_choices=sorted(choices, key=lambda c: c[1].lower()))
