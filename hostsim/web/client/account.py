"""Register, log in, log out, edit account details, change the password and log out every session."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.db.models import Client, Currency
from hostsim.services.clients import ClientError, create_client, update_client
from hostsim.services.passwords import set_password
from hostsim.services.sessions import SessionStore
from hostsim.web.auth import (
    check_password_change,
    client_ip,
    client_required,
    log_out_everywhere,
    login_client,
    sign_in_client,
)
from hostsim.web.client import bp
from hostsim.web.context import current_client, get_host, impersonator, render_theme
from hostsim.web.security import LoginThrottle, end_session, safe_next

REGISTER_FIELDS = ("first_name", "last_name", "company", "email", "currency")
DETAIL_FIELDS = ("first_name", "last_name", "company", "address", "email")


def _currencies() -> list[Currency]:
    with get_host().sessions() as s:
        return list(s.scalars(select(Currency).where(Currency.active.is_(True)).order_by(Currency.id)))


@bp.route("/register", methods=["GET", "POST"])
def register() -> Response | tuple[str, int]:
    if current_client() is not None:
        return redirect(url_for("client.clientarea"))
    host = get_host()
    currencies = _currencies()
    form = {k: "" for k in REGISTER_FIELDS}
    form["currency"] = next((c.code for c in currencies if c.is_default), "")
    errors: dict[str, str] = {}
    if request.method == "POST":
        # Every typed value comes back to the form except the password.
        form = {k: request.form.get(k, "").strip()[:300] for k in REGISTER_FIELDS}
        try:
            with host.transaction() as s:
                client = create_client(s, first_name=form["first_name"], last_name=form["last_name"],
                                       company=form["company"], email=form["email"],
                                       password=request.form.get("password", ""),
                                       currency_code=form["currency"] or None, now=host.clock.now())
                host.activity.log(f"Client #{client.id} registered", actor=client.email, client_id=client.id,
                                  ip=client_ip(), session=s)
        except ClientError as exc:
            errors[exc.field if exc.field in (*REGISTER_FIELDS, "password") else "general"] = exc.message
        else:
            sign_in_client(client)
            flash("Welcome! Your account has been created.", "success")
            return redirect(url_for("client.clientarea"))
    return render_theme("register.html", form=form, errors=errors, currencies=currencies,
                        page_title="Register"), (400 if errors else 200)


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int]:
    target = safe_next(request.values.get("next"), url_for("client.clientarea"))
    if request.method == "GET" and current_client() is not None:
        return redirect(target)
    email, error, status = "", "", 200
    if request.method == "POST":
        email = request.form.get("email", "").strip()[:254]
        result = login_client(email, request.form.get("password", ""))
        if result.ok:
            return redirect(target)
        error, status = result.message, (429 if result.throttled else 200)
    return render_theme("login.html", email=email, error=error, next=target, page_title="Login"), status


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Response | str:
    if request.method == "GET":  # a link never logs anyone out; the page asks with a form
        return render_theme("logout.html", page_title="Logout")
    end_session("client")
    flash("You have been logged out.", "info")
    return redirect(url_for("client.home"))


@bp.route("/clientarea/details", methods=["GET", "POST"])
@client_required
def details() -> Response | tuple[str, int]:
    host = get_host()
    client = current_client()
    assert client is not None
    form = {k: getattr(client, k) for k in DETAIL_FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {k: request.form.get(k, "").strip()[:300 if k != "address" else 600] for k in DETAIL_FIELDS}
        # The address as lines, trimmed, blank ones dropped (what the invoice prints).
        form["address"] = "\n".join(line.strip() for line in form["address"].split("\n") if line.strip())
        try:
            if len(form["address"]) > 500 or form["address"].count("\n") >= 8:
                raise ClientError("address", "at most 8 lines and 500 characters")
            if len(form["first_name"]) > 100 or len(form["last_name"]) > 100 or len(form["company"]) > 200:
                field = "company" if len(form["company"]) > 200 else "first_name" if len(form["first_name"]) > 100 else "last_name"
                raise ClientError(field, "is too long")
            changed = update_client(host, client.id, actor=f"Client #{client.id}", **form)
        except ClientError as exc:
            errors[exc.field if exc.field in DETAIL_FIELDS else "general"] = exc.message
        else:
            flash("Your details were saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("client.details"))
    return _details_page(form, errors)


def _details_page(form: dict[str, str], errors: dict[str, str], password_errors: dict[str, str] | None = None
                  ) -> tuple[str, int]:
    client = current_client()
    assert client is not None
    sessions = SessionStore(get_host()).count("client", client.id)
    return render_theme("details.html", form=form, errors=errors, password_errors=password_errors or {},
                        sessions=sessions, page_title="Account Details"), (400 if errors or password_errors else 200)


@bp.post("/clientarea/details/password")
@client_required
def change_password() -> Response | tuple[str, int]:
    """A new password; every other session of the account is logged out, this one stays."""
    host = get_host()
    client = current_client()
    assert client is not None
    if impersonator() is not None:
        abort(403)  # an admin browsing as the client never sets the client's password
    error = check_password_change(LoginThrottle(host, "client"), client.email, client.password_hash,
                                  personal=(client.first_name, client.last_name, client.email.split("@")[0]))
    if error is not None:
        return _details_page({k: getattr(client, k) for k in DETAIL_FIELDS}, {}, {error[0]: error[1]})
    set_password(host, "client", client.id, request.form["new_password"], actor=f"Client #{client.id}", ip=client_ip())
    with host.sessions() as s:
        fresh = s.get(Client, client.id)
    assert fresh is not None
    sign_in_client(fresh)  # this browser stays logged in, under a new session id
    flash("Your password was changed. Every other session of your account was logged out.", "success")
    return redirect(url_for("client.details"))


@bp.post("/clientarea/details/logout-all")
@client_required
def logout_all() -> Response:
    """End every session of the account, this one included."""
    client = current_client()
    assert client is not None
    if impersonator() is not None:
        abort(403)  # the client's own sessions are theirs to end
    log_out_everywhere("client", client.id, f"Client #{client.id}", f"Client #{client.id}", client_id=client.id)
    return redirect(url_for("client.login"))
