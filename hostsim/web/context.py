"""What views and addon blueprints ask the web layer: the host, who is logged in, a themed page.

Addon blueprints use these helpers::

    from hostsim.web.context import current_client_id, render_client_page

    @bp.get("/usage")
    def usage():
        if current_client_id() is None:
            return redirect(url_for("client.login", next=request.full_path))
        return render_client_page("Usage", "addons/solusio/usage.tpl", rows=rows)
"""

from __future__ import annotations

from typing import Any

from flask import current_app, g, render_template, request
from markupsafe import Markup
from sqlalchemy import bindparam, func, select

from hostsim.db.models import DISABLED_CLIENT_STATUSES, Admin, Client, Invoice, InvoiceStatus
from hostsim.host import Host
from hostsim.services.menus import (
    MenuItem,
    default_primary_navbar,
    default_secondary_navbar,
)
from hostsim.web.security import auth_marker
from hostsim.web.sessions import current_login, drop_login, mark_used

EXTENSION = "hostsim"
#: A client account in one of these states is logged out (and cannot log in).
DISABLED_STATUSES = DISABLED_CLIENT_STATUSES


# Statements every logged-in page runs, built once (building one costs more than running it).
_CLIENT = select(Client).where(Client.id == bindparam("id"))
_ADMIN = select(Admin).where(Admin.id == bindparam("id"))
_UNPAID_COUNT = select(func.count()).select_from(Invoice).where(Invoice.client_id == bindparam("client_id"),
                                                              Invoice.status == InvoiceStatus.UNPAID)


def get_host() -> Host:
    """The Host the running application serves."""
    host: Host = current_app.extensions[EXTENSION]
    return host


def current_client() -> Client | None:
    """The logged-in client (loaded once per request), or None.

    Checked on every request: a login of a Closed or Inactive account, or one made with a
    password that has changed since, ends here (for every copy of the session cookie).
    """
    if "_client" not in g:
        client = None
        login = current_login("client")
        if login is not None:
            with get_host().sessions() as s:
                client = s.execute(_CLIENT, {"id": login.user_id}).scalar_one_or_none()
            admin_id, auth = split_impersonation(login.auth)
            if client is None or client.status in DISABLED_STATUSES or auth != auth_marker(client.password_hash):
                client = None
            elif admin_id is not None:
                # An admin's "Log in as client" holds only while that admin is logged in here.
                admin = current_admin()
                if admin is None or admin.id != admin_id:
                    client = None
                else:
                    g._impersonator = admin
            if client is None:
                drop_login("client")
            else:
                mark_used("client")
        g._client = client
    result: Client | None = g._client
    return result


#: A client login an admin started ("Log in as client") carries ``<prefix><admin id>:<marker>``
#: as its auth: kept in the login's own columns, so it survives every change of session id.
IMPERSONATION_PREFIX = "as-admin:"


def impersonation_auth(admin_id: int, client_marker: str) -> str:
    return f"{IMPERSONATION_PREFIX}{admin_id}:{client_marker}"


def split_impersonation(auth: str) -> tuple[int | None, str]:
    """(the impersonating admin's id or None, the client's password marker) of a login's auth."""
    if not auth.startswith(IMPERSONATION_PREFIX):
        return None, auth
    admin_part, _, marker = auth[len(IMPERSONATION_PREFIX):].partition(":")
    return (int(admin_part) if admin_part.isdigit() else -1), marker


def impersonator() -> Admin | None:
    """The admin browsing the client area as the logged-in client, or None (the client themself)."""
    if current_client() is None:
        return None
    result: Admin | None = g.get("_impersonator")
    return result


def current_client_id() -> int | None:
    """The logged-in client's id, or None for a visitor."""
    client = current_client()
    return client.id if client is not None else None


def current_admin() -> Admin | None:
    """The logged-in, active admin (with its role loaded), or None. Like :func:`current_client`,
    a disabled admin's login or one made with an old password ends here."""
    if "_admin" not in g:
        admin = None
        login = current_login("admin")
        if login is not None:
            with get_host().sessions() as s:
                admin = s.execute(_ADMIN, {"id": login.user_id}).scalar_one_or_none()
            if admin is None or not admin.is_active or login.auth != auth_marker(admin.password_hash):
                admin = None
                drop_login("admin")
            else:
                mark_used("admin")
        g._admin = admin
    result: Admin | None = g._admin
    return result


def unpaid_invoice_count(client_id: int) -> int:
    with get_host().engine.connect() as conn:
        return int(conn.scalar(_UNPAID_COUNT, {"client_id": client_id}) or 0)


def build_navbars(client: Client | None) -> tuple[MenuItem, MenuItem]:
    """The primary and secondary navbars after every active addon's hooks changed them."""
    host = get_host()
    logged_in = client is not None
    primary = default_primary_navbar(logged_in)
    host.addons.primary_navbar(primary, client)
    secondary = default_secondary_navbar(logged_in, client.first_name if client else "")
    host.addons.secondary_navbar(secondary, client)
    return primary, secondary


def theme_context() -> dict[str, Any]:
    """Variables every client-area (theme) template gets."""
    host = get_host()
    client = current_client()
    try:
        primary, secondary = build_navbars(client)
    except Exception:  # a page must still render when navbar building fails
        current_app.logger.exception("building the navbars failed")
        primary, secondary = MenuItem("Primary Navbar"), MenuItem("Secondary Navbar")
    settings = host.settings.all()
    return {
        "client": client,
        "primary_navbar": primary,
        "secondary_navbar": secondary,
        "company_name": settings["company_name"],
        "tos_url": settings["tos_url"],
        "active_theme": host.templates.active_theme(),
        "current_path": request.path,
        "impersonator": impersonator(),
    }


def render_theme(template_name: str, **context: Any) -> str:
    """Render a theme page (``clientarea.html``...) with the theme context."""
    return render_template(template_name, **{**theme_context(), **context})


def render_client_page(title: str, template_name: str, *, breadcrumb: list[tuple[str, str]] | None = None,
                       **variables: Any) -> str:
    """Render ``template_name`` (a theme or ``addons/<module>/<name>.tpl`` template) as the body of a
    client-area page with the theme's layout, navbars, title and breadcrumb.

    Raises ``jinja2.TemplateNotFound`` when the template does not exist.
    """
    base = theme_context()
    body = render_template(template_name, **{**base, **variables})
    return render_template("page.html", **base, page_title=title, breadcrumb=breadcrumb or [],
                           body=Markup(body))
