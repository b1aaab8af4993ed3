"""The client side's host hooks: the client-area page (landing page, usage page), the navbar
entries, the homepage panel, and keeping the SolusIO user's email in step with the client's."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from flask import has_request_context

from hostsim.addon_api import Chart, ChartSeries, Client, ClientAreaPage, hookimpl
from solusio_addon.admin import settings as addon_settings
from solusio_addon.clientarea import form_state, signup, state

if TYPE_CHECKING:
    from flask import Request

    from hostsim.addon_api import ClientAreaRequest, Host, MenuItem
    from solusio_addon.clientarea.usage import UsageReport

log = logging.getLogger(__name__)

TITLE = "Cloud Hosting"
SIGNUP_URL = "/modules/addons/solusio/signup"
ENROL_URL = "/modules/addons/solusio/enrol"
SSO_URL = "/modules/addons/solusio/sso"
RETRY_URL = "/modules/addons/solusio/retry"


# --- the client-area page -----------------------------------------------------------------------


def landing_vars(host: Host, client_id: int | None, request: Request, *, form: dict[str, str] | None = None,
                 errors: dict[str, str] | None = None, message: str = "") -> dict[str, Any]:
    """Everything ``post-pay/landing-page.tpl`` receives (documented in the README)."""
    pricing = state.viewer_pricing(host, client_id, request.args.get("currency", ""))
    if form is not None:
        form = {k: form.get(k, "") for k in signup.FIELDS}
    plans, plans_error = state.fetch_plans(host)
    return {
        "pricing": pricing,
        "plans": state.plan_rows(plans, pricing) if pricing else [],
        "plans_error": plans_error,
        "enrolment": state.enrolment_view(host, client_id) if client_id is not None else None,
        "tos_url": host.settings.get("tos_url"),
        "postpay_terms_url": addon_settings.load_postpay(host).terms_url,
        "form": form or {"first_name": "", "last_name": "", "company": "", "email": "",
                         "currency": pricing.code if pricing else ""},
        # The signup form's currency choice; the viewed prices' currency comes preselected.
        "currencies": signup.active_currencies(host) if client_id is None else [],
        "errors": errors or {},
        **form_state.summary_vars(errors or {}),
        "message": message,
        "signup_url": SIGNUP_URL, "enrol_url": ENROL_URL, "sso_url": SSO_URL, "retry_url": RETRY_URL,
        "usage_url": state.USAGE_URL, "landing_url": state.LANDING_URL,
    }


@hookimpl
def addon_client_area(host: Host, page: ClientAreaRequest) -> ClientAreaPage:
    crumb = [(TITLE, state.LANDING_URL)]
    if not state.postpay_enabled_cached(host):
        return ClientAreaPage(TITLE, "post-pay/not-enabled", crumb)
    if page.request.args.get("action") == "usage":
        return usage_page(host, page.client_id)
    # What the last POST of this session left for this GET (Post/Redirect/Get), taken once.
    kept = form_state.take("signup", "enrol", "sent", "done") if has_request_context() else None
    if kept is not None and kept["kind"] == "sent":
        return ClientAreaPage("Check your email", "post-pay/signup-sent", crumb, vars={"message": kept["message"]})
    if kept is not None and kept["kind"] == "done" and page.client_id is not None:
        enrolment = state.enrolment_view(host, page.client_id)
        title = "Cloud hosting is ready" if enrolment.enrolled else "Cloud hosting is being set up"
        return ClientAreaPage(title, "post-pay/signup-done", crumb,
                              vars={"enrolment": enrolment, "sso_url": SSO_URL, "retry_url": RETRY_URL,
                                    "usage_url": state.USAGE_URL})
    if kept is not None and kept["kind"] in ("signup", "enrol"):
        return ClientAreaPage(TITLE, "post-pay/landing-page", crumb,
                              vars=landing_vars(host, page.client_id, page.request, form=kept["values"] or None,
                                                errors=kept["errors"], message=kept["message"]))
    return ClientAreaPage(TITLE, "post-pay/landing-page", crumb,
                          vars=landing_vars(host, page.client_id, page.request))


def usage_page(host: Host, client_id: int | None) -> ClientAreaPage:
    from solusio_addon.clientarea.usage import usage_report

    crumb = [(TITLE, state.LANDING_URL), ("Cloud Usage", state.USAGE_URL)]
    if client_id is None:
        return ClientAreaPage("Cloud Usage", "client/usage", crumb, requirelogin=True)
    enrolment = state.enrolment_view(host, client_id)
    user_id = enrolment.solusio_user_id
    report = usage_report(host, client_id, user_id) if enrolment.can_sso and user_id is not None else None
    return ClientAreaPage("Cloud Usage", "client/usage", crumb, requirelogin=True,
                          vars={"enrolment": enrolment, "report": report, "landing_url": state.LANDING_URL,
                                "sso_url": SSO_URL, "day_chart": day_chart(report) if report else ""})


def day_chart(report: UsageReport) -> str:
    """This month's tokens per day as a chart (with its data table), or "" when days are unknown."""
    from babel.dates import format_date
    from babel.numbers import format_decimal

    from hostsim.addon_api.web import render_chart

    if not report.days:
        return ""
    tokens = tuple(t for _d, t in report.days)
    chart = Chart("Tokens per day this month", tuple(format_date(d, "d MMM", locale="en_US") for d, _t in report.days),
                  (ChartSeries("Tokens", tokens, tuple(format_decimal(t, locale="en_US") for t in tokens)),),
                  description=f"Cloud tokens used on each day since {format_date(report.days[0][0], 'd MMMM', locale='en_US')}, "
                              f"{format_decimal(sum(tokens), locale='en_US')} in all.", label_heading="Day")
    return render_chart(chart)


# --- menus and panels ---------------------------------------------------------------------------


@hookimpl
def client_area_primary_navbar(host: Host, navbar: MenuItem, client: Client | None) -> None:
    if not state.postpay_enabled_cached(host):
        return
    if client is None:
        store = navbar.get_child("Store") or navbar.add_child("Store", uri="/store", order=20)
        # The Store page shows the body as the product group's description.
        store.add_child("Cloud Hosting", uri=state.LANDING_URL, order=50,
                        body_html="<p>Virtual servers you start and stop when you like, billed by the hour "
                                  "with a monthly cap per plan. No commitment: each month's invoice covers "
                                  "what you used.</p>")
        return
    menu = navbar.get_child("Website & Security") or navbar.add_child("Website & Security", order=40)
    menu.add_child("Cloud Hosting", uri=state.LANDING_URL, order=50)
    if state.enrolment_view_for_menus(host, client.id).can_sso:
        menu.add_child("Cloud Usage", uri=state.USAGE_URL, order=51)


@hookimpl
def client_area_homepage_panels(host: Host, panels: MenuItem, client: Client) -> None:
    from hostsim.addon_api.web import render_fragment

    if client is None or not state.postpay_enabled_cached(host) or not has_request_context():
        return
    enrolment = state.enrolment_view_for_menus(host, client.id)
    panel = host.templates.template_name(state.MODULE, "client/panel.tpl")
    body = render_fragment(panel, enrolment=enrolment, landing_url=state.LANDING_URL,
                           usage_url=state.USAGE_URL, sso_url=SSO_URL, retry_url=RETRY_URL)
    footer = {"none": f'<a href="{state.LANDING_URL}">Learn more about Cloud Hosting</a>',
              "pending": f'<a href="{state.LANDING_URL}">Cloud Hosting</a>'}.get(
        enrolment.status, f'<a href="{state.USAGE_URL}">View this month\'s cloud usage</a>')
    badge = {"pending": "Pending", "locked": "Locked", "suspended": "Suspended"}.get(enrolment.status, "")
    panels.add_child("Cloud Hosting", label="Cloud Hosting", icon="cloud", order=20, badge=badge,
                     body_html=str(body), footer_html=footer)
