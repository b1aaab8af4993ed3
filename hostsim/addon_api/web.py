"""What an addon's web code (its blueprint and pages) may ask of the host's web layer.

Kept apart from :mod:`hostsim.addon_api` so an addon's domain code (billing, API clients) never
loads Flask. Every function here works inside a request of the host's web application::

    from hostsim.addon_api.web import current_client_id, render_client_page

    @bp.get("/usage")
    def usage():
        if current_client_id() is None:
            return redirect(url_for("client.login", next=request.full_path))
        return render_client_page("Usage", "addons/example/usage.tpl", rows=rows)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from flask import Blueprint, render_template, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from hostsim.db.models import Client
from hostsim.plugins.types import Chart
from hostsim.web import auth, charts, context, errors, forms, security
from hostsim.web.error_summary import form_summary

if TYPE_CHECKING:
    from hostsim.addon_api.host import Host

BP = TypeVar("BP", bound=Blueprint)


def current_host() -> "Host":
    """The addon facade of the Host the running application serves."""
    return context.get_host().addon_api


def current_client_id() -> int | None:
    """The logged-in client's id, or None for a visitor (a closed account counts as logged out)."""
    return context.current_client_id()


def client_ip() -> str:
    """The visitor's IP address as the host sees it."""
    return auth.client_ip()


def sign_in_client(client_id: int) -> bool:
    """Log the visitor in as client ``client_id`` (a fresh session, as the login form does).
    False when there is no such open account."""
    host = context.get_host()
    with host.sessions() as s:
        client = s.get(Client, client_id)
    if client is None or client.status.value == "Closed":
        return False
    auth.sign_in_client(client)
    return True


def login_url(next_url: str = "") -> str:
    """The client-area login page, coming back to ``next_url`` (a local path) after login."""
    return url_for("client.login", next=next_url) if next_url else url_for("client.login")


def current_admin_username() -> str | None:
    """The logged-in admin's username (for the activity log), or None when no admin is logged in."""
    admin = context.current_admin()
    return admin.username if admin is not None else None


def current_admin_id() -> int | None:
    """The logged-in admin's id, or None when no admin is logged in."""
    admin = context.current_admin()
    return admin.id if admin is not None else None


def admin_may_open(module: str) -> bool:
    """Whether the logged-in admin's role group was granted access to addon ``module`` (its admin
    page), the rule an addon's admin-only blueprint routes follow too."""
    admin = context.current_admin()
    if admin is None:
        return False
    return admin.role_id in context.get_host().lifecycle.access_role_ids(module)


def csrf_token() -> str:
    """The CSRF token every POST form of the client area must carry (field ``csrf_token``)."""
    return generate_csrf()


def render_client_page(title: str, template_name: str, *, breadcrumb: list[tuple[str, str]] | None = None,
                       **variables: Any) -> str:
    """Render ``template_name`` (see ``Host.templates.template_name``) as the body of a
    client-area page: the theme's layout, navbars, title and breadcrumb around it.
    ``jinja2.TemplateNotFound`` when it does not exist."""
    return context.render_client_page(title, template_name, breadcrumb=breadcrumb, **variables)


def render_fragment(template_name: str, **variables: Any) -> str:
    """Render a template (a homepage panel's body, say) with the web app's environment, which
    gives it ``csrf_token()`` and ``url_for``; no page layout around it."""
    return render_template(template_name, **variables)


def render_chart(chart: Chart) -> Markup:
    """``chart`` (:class:`hostsim.addon_api.Chart`) drawn as the host draws its own: an inline SVG
    bar chart (no script, nothing fetched), ``role="img"`` named by its title and described by
    its description, with the same numbers in a data table behind it. Safe to place in a page."""
    return charts.render_chart(chart)


def render_error(code: int, title: str, message: str) -> tuple[str, int]:
    """The host's themed error page with ``code``; never raises."""
    return errors.render_error(code, title, message)


def csrf_exempt_blueprint(bp: BP) -> BP:
    """Mark a blueprint as a token-authenticated JSON API, mounted without CSRF protection.
    Only for routes that authenticate every request by a header token, never for forms."""
    return security.csrf_exempt_blueprint(bp)


def declare_form_fields(module: str, labels: forms.Labels, *, multiline: Iterable[str] = ()) -> None:
    """Name the fields of addon ``module``'s forms in words, for the host's one check of submitted
    text (it runs before every view: a control character answers 400 with the error page,
    "Grace period contains a character that is not allowed", and the view never runs).

    ``labels`` maps a field name to its label, or is a function of the field name returning the
    label (None when it does not know it); the host's own words, then the name itself, fill in.
    ``multiline`` names the ``<textarea>`` fields, where tab and line breaks are allowed. The
    declaration applies to the addon's admin page, client-area page and blueprint; declaring
    again replaces it. Call it when the addon's blueprint is built (``addon_blueprint``)."""
    forms.declare_fields(module, labels, multiline)


__all__ = ["admin_may_open", "client_ip", "csrf_exempt_blueprint", "csrf_token", "current_admin_id",
           "current_admin_username", "current_client_id", "current_host",
           "declare_form_fields", "form_summary", "login_url", "render_chart", "render_client_page", "render_error", "render_fragment",
           "sign_in_client"]
