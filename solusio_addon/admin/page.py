"""Render and handle the admin page (``addon_admin_output``).

GET shows a tab; POST (with the page's CSRF token, checked by the host) handles one form,
named by its ``action`` field. A successful POST redirects back (``&saved=<form>``) so a reload
never repeats it; a refused one renders the form again with the message next to each field and
nothing saved. Secrets are never rendered: the API key field is always empty, and the proxy URL
shows its password as a mask (submitted back unchanged, the mask keeps the saved password).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Mapping
from urllib.parse import quote

from flask import redirect
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from solusio_addon.admin import pricing, urls
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import client_from_settings
from solusio_addon.admin.connection import connect, describe_error, integration_url
from solusio_addon.admin.warning_settings import WARNING_HELP, WARNING_LABELS, load_warnings, save_warnings, validate_warnings
from solusio_addon.billing import status as billing_status
from solusio_addon.db.models import BilledPeriod, Enrolment, EnrolmentStatus, PeriodOutcome
from solusio_addon.solusio_api import LimitGroup, SolusioError

if TYPE_CHECKING:
    from hostsim.addon_api import AdminPage, Host

log = logging.getLogger(__name__)

MODULE = addon_settings.MODULE
TABS = (("overview", "Overview"), ("billing", "Billing"), ("postpay", "Post-Pay"), ("settings", "Settings"))
SAVED_MESSAGES = {
    "connect": "Connected. The billing integration of SolusIO was configured with a new secret.",
    "postpay": "Post-Pay settings saved.",
    "prices": "Token prices saved.",
    "exempt": "Saved: the change applies from the next SolusioAutomation run.",
    "reconcile": "Checked: the Consistency section below shows what differs.",
    "connection": "Connection updated: the new URL and API key are in use, and the billing integration was "
                  "configured with a new secret.",
}


@dataclass
class FormState:
    """What one form shows after a refused POST: submitted values and field messages."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    message: str = ""


def _link(page: "AdminPage", **params: str) -> str:
    extra = "".join(f"&{k}={v}" for k, v in params.items())
    return page.module_link + extra


def _form(page: "AdminPage") -> Mapping[str, str]:
    return page.request.form


def render_admin_page(host: "Host", page: "AdminPage") -> str | Response:
    conn = addon_settings.load_connection(host)
    actor = page.admin_username
    if page.request.method == "POST":
        action = _form(page).get("action", "")
        if action == "connect" or (action == "connection" and conn.connected):
            return _post_connect(host, page, action, actor)
        if conn.connected and action == "postpay":
            return _post_postpay(host, page, actor)
        if conn.connected and action == "prices":
            return _post_prices(host, page, actor)
        if conn.connected and action == "exempt":
            return _post_exempt(host, page, actor)
        if conn.connected and action == "reconcile":
            return _post_reconcile(host, page)
        return redirect(page.module_link)
    if not conn.connected:
        return _render_connect(host, page, FormState())
    tab = page.request.args.get("tab", "overview")
    tab = tab if tab in dict(TABS) else "overview"
    return _render_tabs(host, page, tab)


# --- connect ----------------------------------------------------------------------------------


CONNECT_FIELDS = ("url", "api_key", "tls_mode", "ca_bundle", "login_url_template", "proxy_mode", "proxy_url")


def _connect_values(form: Mapping[str, str]) -> dict[str, str]:
    return {k: form.get(k, "") if isinstance(form.get(k, ""), str) else "" for k in CONNECT_FIELDS}


def _proxy_url_shown_again(submitted: str) -> tuple[str, bool]:
    """What a refused form shows of the submitted proxy URL, and whether a typed password was left
    out. A password is never sent back: the mask (the saved password) stays a mask; a newly typed
    password is dropped, to be typed again."""
    text = submitted.strip()
    if urls.mask_proxy_url(text) == text:
        return text, False
    return urls.drop_proxy_password(text), True


def _post_connect(host: "Host", page: "AdminPage", action: str, actor: str) -> str | Response:
    form = _form(page)
    values = _connect_values(form)
    # A form without the proxy fields (a script posting the old form) keeps the saved proxy setting.
    proxy_mode = values["proxy_mode"] if "proxy_mode" in form else None
    proxy_url = values["proxy_url"] if "proxy_url" in form else None
    result = connect(host, values["url"], values["api_key"], tls_mode=values["tls_mode"] or "verify",
                     ca_bundle=values["ca_bundle"], login_url_template=values["login_url_template"],
                     proxy_mode=proxy_mode, proxy_url=proxy_url, actor=actor)
    if result.ok:
        return redirect(_link(page, tab="overview" if action == "connect" else "settings", saved=action))
    values["api_key"] = ""  # never sent back
    errors = dict(result.errors)
    for key in ("proxy_mode", "proxy_url"):
        if key not in form:
            del values[key]  # show the saved setting
    if "proxy_url" in values:
        values["proxy_url"], dropped = _proxy_url_shown_again(values["proxy_url"])
        if dropped and values.get("proxy_mode") == "custom" and "proxy_url" not in errors:
            errors["proxy_url"] = "Proxy URL: type the proxy password again (a password is never shown back)"
    state = FormState(values=values, errors=errors, message=result.message)
    if action == "connect":
        return _render_connect(host, page, state)
    return _render_tabs(host, page, "settings", connection=state)


def _connection_view(conn: addon_settings.ConnectionSettings, state: FormState) -> dict[str, Any]:
    shown = {"url": conn.url, "tls_mode": conn.tls_mode, "ca_bundle": conn.ca_bundle,
             "login_url_template": conn.login_url_template, "proxy_mode": conn.proxy_mode,
             "proxy_url": conn.proxy_shown}
    shown.update({k: v for k, v in state.values.items() if k != "api_key"})
    return {"fields": shown, "errors": state.errors, "message": state.message, "tls_modes": addon_settings.TLS_MODES,
            "proxy_modes": urls.PROXY_MODES}


def _render_connect(host: "Host", page: "AdminPage", state: FormState) -> str:
    conn = addon_settings.load_connection(host)
    return host.templates.render(MODULE, "admin/connect", page=page, csrf_token=page.csrf_token,
                                       module_link=page.module_link, form=_connection_view(conn, state))


# --- post-pay ---------------------------------------------------------------------------------


def _limit_groups(host: "Host") -> tuple[list[LimitGroup] | None, str]:
    """SolusIO's limit groups, or None and why they could not be fetched."""
    try:
        with client_from_settings(host, interactive=True) as client:
            return list(client.limit_groups()), ""
    except SolusioError as exc:
        return None, describe_error(exc)
    except Exception as exc:  # a broken answer must not take the page down
        log.exception("listing SolusIO limit groups failed")
        return None, f"SolusIO's limit groups could not be read: {type(exc).__name__}"


def _post_postpay(host: "Host", page: "AdminPage", actor: str) -> str | Response:
    form = _form(page)
    submitted = {k: form.get(k, "") for k in addon_settings.POSTPAY_LABELS}
    submitted.update({k: form.get(k, "") for k in WARNING_LABELS if k in form})  # absent: kept as saved
    groups, problem = _limit_groups(host)
    current = addon_settings.load_postpay(host)
    new, errors = addon_settings.validate_postpay(submitted, current=current, limit_groups=groups)
    warnings, warning_errors = validate_warnings(submitted, current=load_warnings(host))
    errors.update(warning_errors)
    if new is None or warnings is None:
        state = FormState(values=submitted, errors=errors,
                          message="Nothing was saved: correct the fields marked below.")
        return _render_tabs(host, page, "postpay", postpay=state, groups=(groups, problem))
    addon_settings.save_postpay(host, new, actor=actor)
    save_warnings(host, warnings, actor=actor)
    return redirect(_link(page, tab="postpay", saved="postpay"))


# --- prices -----------------------------------------------------------------------------------


def _post_prices(host: "Host", page: "AdminPage", actor: str) -> str | Response:
    form = _form(page)
    rows = pricing.active_prices(host)
    submitted = {r.code: form[r.field] for r in rows if r.field in form}
    prices, errors = pricing.validate_prices(submitted, rows, require_all=True)
    if not errors:
        try:
            pricing.save_prices(host, prices, actor=actor)
        except pricing.PricingError as exc:
            errors = exc.errors
    if errors:
        state = FormState(values={pricing.field_name(k): v for k, v in submitted.items()}, errors=errors,
                          message="Nothing was saved: correct the prices marked below.")
        return _render_tabs(host, page, "settings", prices=state)
    return redirect(_link(page, tab="settings", saved="prices"))


# --- billing: last run, enrolments, exempt switch ---------------------------------------------


def _billing_link(admin_page: "AdminPage", *, status: str = "", page_no: int = 1, saved: str = "") -> str:
    params = {"tab": "billing", "status": status, "page": str(page_no) if page_no > 1 else "", "saved": saved}
    return admin_page.module_link + "".join(f"&{k}={quote(v)}" for k, v in params.items() if v)


#: The largest id a row can have on every backend (an INTEGER key).
MAX_ID = 2**31 - 1


def _row_id(text: str) -> int:
    """A submitted id: ASCII digits naming 1 to ``MAX_ID``, else ValueError (a larger number
    would overflow the database's integer, not just miss)."""
    text = text.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)) or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


def _post_exempt(host: "Host", page: "AdminPage", actor: str) -> str | Response:
    form = _form(page)
    status, page_no = form.get("status", ""), form.get("page", "1")
    try:
        client_id = _row_id(form.get("client_id", ""))
        exempt = {"1": True, "0": False}[form.get("exempt", "")]
        billing_status.set_exempt(host, client_id, exempt, actor=actor, admin_id=page.admin_id)
    except (ValueError, KeyError, billing_status.NotEnrolled):
        return _render_tabs(host, page, "billing", billing_message="Nothing was saved: that client is not enrolled.")
    safe_status = status if status in {s.value for s in EnrolmentStatus} else ""
    safe_page = int(page_no) if page_no.isascii() and page_no.isdigit() and len(page_no) <= 6 else 1
    return redirect(_billing_link(page, status=safe_status, page_no=safe_page, saved="exempt"))


def _post_reconcile(host: "Host", page: "AdminPage") -> str | Response:
    """Check now, repairing nothing (the daily run repairs): the result is stored for the section."""
    from solusio_addon.billing.hooks import policy_from_settings
    from solusio_addon.billing.reconcile import Reconcile

    try:
        with client_from_settings(host, interactive=True) as api:
            Reconcile(host, api, policy_from_settings(host)).run(host.clock.today())
    except SolusioError as exc:
        return _render_tabs(host, page, "billing", billing_message=f"The check did not finish: {describe_error(exc)}")
    return redirect(_billing_link(page, saved="reconcile"))


def _billing_context(host: "Host", page: "AdminPage") -> dict[str, Any]:
    args = page.request.args
    try:
        wanted = billing_status.parse_status(args.get("status", ""))
    except ValueError:
        wanted = None
    try:
        page_no = max(1, int(args.get("page", "1")))
    except ValueError:
        page_no = 1
    listing = billing_status.enrolments(host, status=wanted, page=page_no)
    status = wanted.value if wanted else ""
    return {
        "last_run": billing_status.last_run(host), "enrolments": listing, "status_filter": status,
        "consistency": _consistency(host),
        "statuses": [s.value for s in EnrolmentStatus],
        "filter_links": {s: _billing_link(page, status=s) for s in ["", *(e.value for e in EnrolmentStatus)]},
        "prev_link": _billing_link(page, status=status, page_no=listing.page - 1) if listing.has_prev else "",
        "next_link": _billing_link(page, status=status, page_no=listing.page + 1) if listing.has_next else "",
    }


def _consistency(host: "Host") -> dict[str, Any]:
    from solusio_addon.billing.reconcile import stored_drift

    run, rows, total = stored_drift(host)
    return {"run": run, "rows": rows, "total": total}


# --- the tabs ---------------------------------------------------------------------------------


def _counts(host: "Host") -> dict[str, int]:
    with host.sessions() as s:
        by_status = dict(s.execute(select(Enrolment.status, func.count()).group_by(Enrolment.status)).all())
        invoiced = s.scalar(select(func.count()).select_from(BilledPeriod)
                            .where(BilledPeriod.outcome == PeriodOutcome.INVOICED)) or 0
    counts = {getattr(k, "value", str(k)): int(v) for k, v in by_status.items()}
    return {"enrolled": sum(counts.values()), "active": counts.get("active", 0), "locked": counts.get("locked", 0),
            "suspended": counts.get("suspended", 0), "closed": counts.get("closed", 0),
            "pending": counts.get("pending", 0),
            "invoiced_periods": int(invoiced)}


def _render_tabs(host: "Host", page: "AdminPage", tab: str, *, postpay: FormState | None = None,
                 prices: FormState | None = None, connection: FormState | None = None,
                 groups: tuple[list[LimitGroup] | None, str] | None = None, billing_message: str = "") -> str:
    conn = addon_settings.load_connection(host)
    rows = pricing.active_prices(host)
    context: dict[str, Any] = {
        "page": page, "csrf_token": page.csrf_token, "module_link": page.module_link, "tab": tab, "tabs": TABS,
        "saved": SAVED_MESSAGES.get(page.request.args.get("saved", ""), "") if page.request.method == "GET" else "",
        "conn": conn, "price_warning": pricing.missing_price_warning(pricing.unpriced_codes(rows)),
        "expected_integration_url": integration_url(host),
    }
    if tab == "overview":
        context["counts"] = _counts(host)
        context["postpay"] = addon_settings.load_postpay(host)
        context["prices"] = rows
    elif tab == "billing":
        context.update(_billing_context(host, page))
        context["billing_message"] = billing_message
    elif tab == "postpay":
        current = addon_settings.load_postpay(host)
        group_list, group_problem = groups if groups is not None else _limit_groups(host)
        options = [(g.id, g.name) for g in group_list] if group_list is not None else []
        if current.limit_group_id is not None and all(i != current.limit_group_id for i, _ in options):
            name = current.limit_group_name or f"#{current.limit_group_id}"
            suffix = " (saved; SolusIO did not list it)" if group_list is not None else " (saved)"
            options.insert(0, (current.limit_group_id, name + suffix))
        state = postpay or FormState()
        context["pp"] = {"fields": {**current.as_form(), **load_warnings(host).as_form(), **state.values},
                         "errors": state.errors, "message": state.message, "options": options,
                         "groups_problem": group_problem, "labels": {**addon_settings.POSTPAY_LABELS, **WARNING_LABELS},
                         "warning_help": WARNING_HELP}
    else:
        state = prices or FormState()
        context["pricing"] = {"rows": rows, "fields": {r.field: r.shown for r in rows} | state.values,
                              "errors": state.errors, "message": state.message}
        context["form"] = _connection_view(conn, connection or FormState())
    return host.templates.render(MODULE, "admin/tabs", **context)
