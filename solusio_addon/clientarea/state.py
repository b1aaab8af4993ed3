"""What the client-side pages need to know: is post-pay enabled, what do plans cost in the
viewer's currency, and where does the logged-in client's enrolment stand.

"Post-pay enabled" means: the addon is connected to SolusIO (URL and API key saved by a
successful Test Connection) AND the host's DEFAULT currency has a token price. Clients whose
currency has no price yet still see the landing page, priced in the default currency.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import bindparam, select

from hostsim.addon_api import Invoice, InvoiceStatus, format_money, format_unit_price, round_money
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import build_client
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import Plan, SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)

MODULE = "solusio"
LANDING_URL = "/index.php?m=solusio"
USAGE_URL = "/index.php?m=solusio&action=usage"
PLAN_CACHE_SECONDS = 300.0  # plans change rarely: the landing page asks SolusIO at most every 5 minutes
PLAN_FAILURE_CACHE_SECONDS = 30.0  # SolusIO down: do not make every visitor wait for the timeout


# --- enabled ----------------------------------------------------------------------------------


def postpay_enabled(host: Host) -> bool:
    """Connected to SolusIO and the default currency has a token price."""
    if not addon_settings.load_connection(host).connected:
        return False
    rows = pricing.active_prices(host)
    return any(r.is_default and r.price is not None for r in rows)


def postpay_enabled_cached(host: Host) -> bool:
    """``postpay_enabled`` once per web request (navbar, panels and page all ask)."""
    from flask import g, has_request_context

    if not has_request_context():
        return postpay_enabled(host)
    if "_solusio_enabled" not in g:
        g._solusio_enabled = postpay_enabled(host)
    return bool(g._solusio_enabled)


# --- plans and prices -------------------------------------------------------------------------

_plan_cache: dict[str, tuple[float, list[Plan], str]] = {}
_plan_lock = threading.Lock()


def clear_plan_cache() -> None:
    with _plan_lock:
        _plan_cache.clear()


def _cache_key(conn: addon_settings.ConnectionSettings) -> str:
    return hashlib.sha256(f"{conn.url}\n{conn.api_key}".encode()).hexdigest()


def fetch_plans(host: Host) -> tuple[list[Plan], str]:
    """SolusIO's plans (cached in memory) and, when SolusIO could not be asked, a sentence why."""
    conn = addon_settings.load_connection(host)
    if not conn.connected:
        return [], "SolusIO is not connected."
    key = _cache_key(conn)
    now = time.monotonic()
    with _plan_lock:
        cached = _plan_cache.get(key)
        if cached is not None and cached[0] > now:
            return list(cached[1]), cached[2]
    try:
        with build_client(conn, interactive=True) as api:
            plans = sorted(api.plans(), key=lambda p: (p.tokens_per_hour, p.name))
        error, ttl = "", PLAN_CACHE_SECONDS
    except SolusioError as exc:
        log.warning("SolusIO plans could not be read for the landing page: %s", exc)
        plans, error, ttl = [], "Current prices cannot be shown right now; please check again shortly.", \
            PLAN_FAILURE_CACHE_SECONDS
    with _plan_lock:
        _plan_cache[key] = (now + ttl, plans, error)
    return list(plans), error


def format_rate(amount: Decimal, code: str) -> str:
    """A price per hour: the same precision in every currency (``$0.0070``, ``€0.0063``), so
    sub-cent digits are kept and prices side by side line up."""
    return format_unit_price(amount, code)


@dataclass(frozen=True)
class PlanRow:
    name: str
    tokens_per_hour: int
    tokens_per_month: int
    per_hour: Decimal
    per_month: Decimal
    per_hour_text: str
    per_month_text: str
    #: Each additional IP on a server of this plan, billed with the plan's IP rates ("" when the
    #: plan prices no IPs: SolusIO then bills them nothing).
    ip_per_hour_text: str = ""
    ip_per_month_text: str = ""


@dataclass(frozen=True)
class Pricing:
    code: str
    token_price: Decimal
    priced_codes: list[str]
    note: str = ""


def viewer_pricing(host: Host, client_id: int | None, requested: str = "") -> Pricing | None:
    """The currency prices are shown in: the client's, else the one asked for (visitors), else the
    default. Only currencies with a token price are ever used. None when nothing is priced."""
    rows = [r for r in pricing.active_prices(host) if r.price is not None]
    if not rows:
        return None
    by_code = {r.code: r for r in rows}
    default = next((r for r in rows if r.is_default), rows[0])
    note = ""
    chosen = None
    if client_id is not None:
        with host.sessions() as s:
            quote = pricing.quote_for_client(s, client_id)
        if quote is not None:
            chosen = by_code.get(quote.code)
            if chosen is None:
                note = (f"Prices in {quote.code} are not available yet; they are shown in {default.code}. "
                        f"Your invoices will be in {quote.code}.")
    elif requested:
        chosen = by_code.get(requested.strip().upper()[:3])
    chosen = chosen or default
    assert chosen.price is not None
    return Pricing(chosen.code, chosen.price, [r.code for r in rows], note)


def plan_rows(plans: list[Plan], prices: Pricing) -> list[PlanRow]:
    rows = []
    for plan in plans:
        per_hour = Decimal(plan.tokens_per_hour) * prices.token_price
        per_month = round_money(Decimal(plan.tokens_per_month) * prices.token_price, prices.code)
        ip_hour, ip_month = "", ""
        if plan.ip_tokens_per_hour or plan.ip_tokens_per_month:
            ip_hour = format_rate(Decimal(plan.ip_tokens_per_hour or 0) * prices.token_price, prices.code)
            ip_month = format_money(round_money(Decimal(plan.ip_tokens_per_month or 0) * prices.token_price,
                                                prices.code), prices.code) if plan.ip_tokens_per_month else ""
        rows.append(PlanRow(plan.name, plan.tokens_per_hour, plan.tokens_per_month, per_hour, per_month,
                            format_rate(per_hour, prices.code), format_money(per_month, prices.code),
                            ip_hour, ip_month))
    return rows


# --- the client's enrolment -------------------------------------------------------------------


@dataclass(frozen=True)
class EnrolmentView:
    status: str  # none | pending | active | locked | suspended
    enrolment_id: int | None = None
    solusio_user_id: int | None = None
    invoice_id: int | None = None
    invoice_due: date | None = None
    invoice_total: str = ""
    problem: str = ""  # why a pending enrolment is not finished, in plain words

    @property
    def enrolled(self) -> bool:
        return self.status in ("active", "locked", "suspended")

    @property
    def can_sso(self) -> bool:
        return self.enrolled and self.solusio_user_id is not None


#: Asked on every page of a logged-in client: the columns the view needs, built once.
_ENROLMENT = select(Enrolment.id, Enrolment.status, Enrolment.solusio_user_id, Enrolment.status_invoice_id,
                    Enrolment.last_error).where(Enrolment.client_id == bindparam("client_id"))


def enrolment_view(host: Host, client_id: int) -> EnrolmentView:
    with host.engine.connect() as conn:
        row = conn.execute(_ENROLMENT, {"client_id": client_id}).first()
    if row is None:
        return EnrolmentView("none")
    invoice = None
    held = row.status in (EnrolmentStatus.LOCKED, EnrolmentStatus.SUSPENDED)
    if row.status_invoice_id or held:
        with host.sessions() as s:  # the invoice (and its currency, joined) stays loaded after
            invoice = s.get(Invoice, row.status_invoice_id) if row.status_invoice_id else None
            if invoice is None and held:
                invoice = s.scalars(select(Invoice).where(Invoice.client_id == client_id,
                                                          Invoice.status == InvoiceStatus.UNPAID)
                                    .order_by(Invoice.due_date)).first()
    problem = ""
    if row.status is EnrolmentStatus.PENDING:
        problem = ("The cloud control panel could not be reached when you signed up; we keep trying "
                   "automatically." if row.last_error else "Your account is being set up.")
    return EnrolmentView(
        row.status.value, row.id, row.solusio_user_id,
        invoice.id if invoice is not None else None,
        invoice.due_date if invoice is not None else None,
        format_money(invoice.total, invoice.currency.code) if invoice is not None else "",
        problem)


def enrolment_view_for_menus(host: Host, client_id: int) -> EnrolmentView:
    """``enrolment_view`` once per web request for the navbar and the homepage panel, which are
    built together as the page is rendered, after whatever the request itself changed."""
    from flask import g, has_request_context

    if not has_request_context():
        return enrolment_view(host, client_id)
    views: dict[int, EnrolmentView] = g.setdefault("_solusio_enrolment_views", {})
    if client_id not in views:
        views[client_id] = enrolment_view(host, client_id)
    return views[client_id]
