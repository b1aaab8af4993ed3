"""Client routes of the SolusIO addon, a blueprint nested in the addon's own (so mounted under
``/modules/addons/solusio/``; every POST here carries the host's CSRF token):

* ``POST signup``                  a visitor's signup form -> "check your email";
* ``GET|POST signup/complete``     the emailed link: accept the terms, then account + enrolment;
* ``POST enrol``                   a logged-in client enables cloud hosting;
* ``POST retry``                   a pending enrolment tried again now;
* ``POST sso``                     "Log in to SolusIO": one-time token, redirect to SolusIO.

The landing and usage pages themselves are the addon's client-area page (``/index.php?m=solusio``).
No POST renders a page: each keeps its outcome for the next GET and redirects
(:mod:`solusio_addon.clientarea.form_state`), so a refresh never submits a form again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.addon_api.web import (
    client_ip,
    current_client_id,
    declare_form_fields,
    login_url,
    render_client_page,
    render_error,
    sign_in_client,
)
from hostsim.addon_api.web import current_host as get_host

if TYPE_CHECKING:
    from hostsim.addon_api import Host
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.client_factory import NotConnected, client_from_settings
from solusio_addon.clientarea import form_state, signup, state
from solusio_addon.clientarea.email_sync import sync_email
from solusio_addon.clientarea.hooks import TITLE
from solusio_addon.db.models import Enrolment
from solusio_addon.solusio_api import (
    SolusioAuthError,
    SolusioConnectionError,
    SolusioError,
    SolusioNotFound,
    SolusioPermissionError,
    SolusioRateLimited,
    SolusioServerError,
    SolusioTimeout,
)

Page = tuple[str, int] | Response


def _render(title: str, template: str, status: int = 200, **variables: Any) -> tuple[str, int]:
    host = get_host()
    name = host.templates.template_name(state.MODULE, template)
    html = render_client_page(title, name, breadcrumb=[(TITLE, state.LANDING_URL)], modulelink=state.LANDING_URL,
                              module=state.MODULE, **variables)
    return html, status


def _login_redirect() -> Response:
    return redirect(login_url(request.full_path.rstrip("?") if request.method == "GET"
                            else state.LANDING_URL))


def create_blueprint() -> Blueprint:
    # The addon's fields in words for the host's input check, on its admin page and client pages.
    declare_form_fields(state.MODULE, addon_settings.form_label)
    bp = Blueprint("client_area", __name__)

    @bp.before_request
    def _enabled() -> Page | None:
        if not state.postpay_enabled_cached(get_host()):
            return _render(TITLE, "post-pay/not-enabled", 404)
        return None

    @bp.post("/signup")
    def signup_request() -> Page:
        if current_client_id() is not None:
            return redirect(state.LANDING_URL)
        outcome = signup.request_signup(get_host(), request.form, request.form.get("password", ""), ip=client_ip())
        if outcome.kind == "sent":
            form_state.keep("sent", message=outcome.message)
            return redirect(state.LANDING_URL, code=303)
        # What was typed comes back on the redirected GET, never the password.
        form_state.keep("signup", values=signup.clean_form(request.form), errors=outcome.errors,
                        message=outcome.message)
        # No #fragment: a page opened at a fragment skips ``autofocus`` (the HTML standard), and
        # the focus on the first invalid field is what brings the form into view.
        return redirect(state.LANDING_URL, code=303)

    @bp.route("/signup/complete", methods=["GET", "POST"])
    def signup_complete() -> Page:
        host = get_host()
        token = request.values.get("token", "")
        if request.method == "GET":
            check = signup.check_link(host, token)
            if not check.ok:
                if check.problem == "used" and check.client_id is not None and check.client_id == current_client_id():
                    return redirect(state.LANDING_URL)
                return _link_problem(check.problem)
            if check.client_id is not None and check.client_id != current_client_id():
                return redirect(login_url(request.full_path))
            kept = form_state.take("terms")
            errors = kept["errors"] if kept is not None and kept.get("token") == token else {}
            return _terms_page(token, errors, check.email)
        outcome = signup.complete_signup(host, token, accept_tos=request.form.get("accept_tos") == "1",
                                         accept_postpay=request.form.get("accept_postpay") == "1", ip=client_ip(),
                                         session_client_id=current_client_id())
        if outcome.kind == "link_problem":
            return _render("Signup link", "post-pay/link-problem", 400, message=outcome.message)
        if outcome.kind == "terms":
            form_state.keep("terms", errors=outcome.errors, message=outcome.message, token=token)
            return redirect(f"{signup.COMPLETE_PATH}?{urlencode({'token': token})}", code=303)
        if outcome.kind == "login_required":
            return redirect(login_url(f"{signup.COMPLETE_PATH}?token={token}"))
        if outcome.kind == "email_taken":
            return _render("Signup link", "post-pay/link-problem", 409, message=outcome.message)
        if outcome.kind == "already_done":
            if outcome.client_id is not None and outcome.client_id == current_client_id():
                return redirect(state.LANDING_URL)
            return _render("Signup link", "post-pay/link-problem", 409, message=outcome.message, show_login=True)
        assert outcome.client_id is not None
        if current_client_id() != outcome.client_id:
            sign_in_client(outcome.client_id)  # a fresh session: the state is kept after it
        return _done_redirect()

    @bp.post("/enrol")
    def enrol() -> Page:
        client_id = current_client_id()
        if client_id is None:
            return _login_redirect()
        outcome = signup.enrol_client(get_host(), client_id, request.form.get("password", ""),
                                      accept_tos=request.form.get("accept_tos") == "1",
                                      accept_postpay=request.form.get("accept_postpay") == "1", ip=client_ip())
        if outcome.kind in ("invalid", "rate_limited"):
            form_state.keep("enrol", errors=outcome.errors, message=outcome.message)
            return redirect(state.LANDING_URL, code=303)  # no #fragment: see signup()
        if outcome.kind == "sent":
            form_state.keep("sent", message=outcome.message)
            return redirect(state.LANDING_URL, code=303)
        if outcome.kind == "already_done":
            flash(outcome.message, "info")
            return redirect(state.LANDING_URL)
        return _done_redirect()

    @bp.post("/retry")
    def retry() -> Page:
        client_id = current_client_id()
        if client_id is None:
            return _login_redirect()
        result = signup.retry_pending(get_host(), client_id)
        if result is not None and result.ok:
            flash("Your cloud hosting account is ready.", "success")
        elif result is not None:
            flash("The cloud control panel still cannot be reached; we will keep trying automatically.", "error")
        return redirect(state.LANDING_URL)

    @bp.post("/sso")
    def sso() -> Page:
        host = get_host()
        client_id = current_client_id()
        if client_id is None:
            return _login_redirect()
        # Only ever the session's own enrolment: nothing in the request chooses whose.
        enrolment = state.enrolment_view(host, client_id)
        if not enrolment.can_sso:
            return render_error(403, "No cloud hosting account",
                                "Your account has no active cloud hosting yet. Enable it on the Cloud Hosting page.")
        assert enrolment.solusio_user_id is not None
        _sync_pending_email(host, client_id)
        template = addon_settings.load_connection(host).login_url_template
        try:
            with client_from_settings(host, interactive=True) as api:
                token = api.create_login_token(enrolment.solusio_user_id)
                target = api.login_url(token, template)
        except (SolusioError, NotConnected) as exc:
            return render_error(502, "Cloud control panel unavailable",
                                f"We could not log you in to the cloud control panel: {plain_reason(exc)} "
                                "Please try again in a few minutes.")
        host.activity.log(f"Client #{client_id} opened SolusIO by single sign-on", client_id=client_id,
                          ip=client_ip())
        return redirect(target, code=303)

    return bp


def _sync_pending_email(host: "Host", client_id: int) -> None:
    from solusio_addon.clientarea.email_sync import EMAIL_SYNC_MARK

    with host.sessions() as s:
        marked = s.scalars(select(Enrolment.id).where(Enrolment.client_id == client_id,
                                                      Enrolment.last_error.startswith(EMAIL_SYNC_MARK))).first()
    if marked is not None:
        sync_email(host, client_id)


def plain_reason(exc: Exception) -> str:
    """Why SolusIO failed, for a client: no URLs, no status codes, no internals."""
    if isinstance(exc, (SolusioConnectionError, SolusioTimeout)):
        return "it did not answer."
    if isinstance(exc, SolusioRateLimited):
        return "it is busy right now."
    if isinstance(exc, SolusioServerError):
        return "it reported an internal problem."
    if isinstance(exc, SolusioNotFound):
        return "your cloud account was not found there; please contact support."
    if isinstance(exc, (SolusioAuthError, SolusioPermissionError, NotConnected)):
        return "the connection to it is not configured correctly; our team has been notified."
    return "it answered with an error."


def _link_problem(problem: str) -> tuple[str, int]:
    status = 400 if problem == "invalid" else 410
    return _render("Signup link", "post-pay/link-problem", status, message=signup.LINK_PROBLEMS[problem],
                   show_login=problem == "used")


def _terms_page(token: str, errors: dict[str, str], email: str, status: int = 200) -> tuple[str, int]:
    host = get_host()
    return _render("Accept the terms", "post-pay/signup-terms", status, token=token, errors=errors, email=email,
                   **form_state.summary_vars(errors),
                   tos_url=host.settings.get("tos_url"),
                   postpay_terms_url=addon_settings.load_postpay(host).terms_url,
                   complete_url=signup.COMPLETE_PATH)


def _done_redirect() -> Response:
    """After an enrolment: the landing page's GET shows the result once (see ``hooks``)."""
    form_state.keep("done")
    return redirect(state.LANDING_URL, code=303)
