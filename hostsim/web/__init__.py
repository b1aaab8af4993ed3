"""The web application of the host: the admin area, the themed client area and addon pages."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, request
from jinja2 import ChoiceLoader, FileSystemLoader
from werkzeug.routing import IntegerConverter, Map

from hostsim import formatting
from hostsim.config import HostConfig
from hostsim.crypto import derive_key
from hostsim.db import read_cache
from hostsim.host import Host
from hostsim.logs import configure_logging, request_id
from hostsim.web import icons, sessions
from hostsim.web.context import EXTENSION
from hostsim.web.security import TrustedProxyFix, csrf

WEB_DIR = Path(__file__).resolve().parent
SESSION_COOKIE = "hostsim_session"
REQUEST_ID_HEADER = "X-Request-ID"
#: An incoming request id is kept only if it cannot forge or break a log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")


#: The largest id a row can have: what every backend's INTEGER key holds (2**31 - 1).
MAX_ROW_ID = 2**31 - 1


class RowIdConverter(IntegerConverter):
    """``<int:...>`` in every route, the host's and the addons': a number above ``MAX_ROW_ID``
    names no row, so its URL is a 404 rather than a database error (SQLite cannot even bind
    ``99999999999999999999``). ``<int(max=...):...>`` still sets a bound of its own."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ROW_ID)
        super().__init__(map, *args, **kwargs)


class HostFlask(Flask):
    """Flask with autoescaping for the addon ``.tpl`` templates too (plain ``.txt`` excepted)."""

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        return not (filename or "").endswith(".txt")


def create_app(host: Host | None = None, *, config: dict[str, Any] | None = None) -> Flask:
    """Build the web application over ``host`` (by default one configured from the environment)."""
    if host is None:
        # Built by a WSGI server from the environment: no ``hostsim`` command configured logging.
        configure_logging()
        host = Host(HostConfig.from_env())
    app = HostFlask(__name__, static_folder=str(WEB_DIR / "static"), static_url_path="/admin/static",
                    template_folder=None)
    app.extensions[EXTENSION] = host
    app.url_map.converters["int"] = RowIdConverter  # before any route is added
    app.config.update(
        SECRET_KEY=derive_key(host.config.secret_key(), "flask session"),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=host.config.base_url.lower().startswith("https://"),
        TEMPLATES_AUTO_RELOAD=True,  # a theme override added at run time wins at once
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session
    )
    if config:
        app.config.update(config)
    # Sessions live in the database: the cookie is only an id, and a login ends when its row does.
    sessions.install(app, host)
    # The General Settings and addon settings: read once per request. The scope wraps the whole
    # WSGI call, so the session's lookup (lifetimes), made before any request hook, shares it.
    handle = app.wsgi_app

    def read_once_per_request(environ: dict[str, Any], start_response: Any) -> Any:
        token = read_cache.begin()
        try:
            return handle(environ, start_response)
        finally:
            read_cache.end(token)

    app.wsgi_app = read_once_per_request  # type: ignore[method-assign]
    if host.config.trusted_proxies:
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, host.config.trusted_proxies)  # type: ignore[method-assign]

    # Admin templates first (not themable, as in WHMCS), then the theme lookup for everything else.
    app.jinja_loader = ChoiceLoader([FileSystemLoader(str(WEB_DIR / "templates")), host.templates.loader])
    formatting.install(app.jinja_env)  # the same filters as emails and the theme service
    app.jinja_env.globals["icon"] = icons.icon  # inline SVG icons for themes (hostsim.web.icons)

    # First of the request hooks, so everything logged while serving a request carries its id.
    @app.before_request
    def _request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else secrets.token_hex(8)
        g.request_id_token = request_id.set(g.request_id)
        g.addon_scope_token = host.addons.begin_scope()  # the active addons: read once per request
        # Amounts, numbers and dates in the viewer's own locale (the browser's Accept-Language)
        g.locale_token = formatting.begin_viewing(formatting.negotiate(request.accept_languages.values()))

    @app.teardown_request
    def _forget_request_id(_exc: BaseException | None) -> None:
        scope = g.pop("addon_scope_token", None)
        if scope is not None:
            host.addons.end_scope(scope)
        locale = g.pop("locale_token", None)
        if locale is not None:
            formatting.end_viewing(locale)
        token = g.pop("request_id_token", None)
        if token is not None:
            request_id.reset(token)

    csrf.init_app(app)

    from hostsim.web import addons, errors, payments, theme
    from hostsim.web.admin import bp as admin_bp
    from hostsim.web.client import bp as client_bp

    app.register_blueprint(admin_bp)
    app.register_blueprint(client_bp)
    app.register_blueprint(theme.bp)
    app.register_blueprint(addons.bp)
    errors.register(app)
    addons.mount_addon_blueprints(app, host)
    app.register_blueprint(payments.bp)
    payments.mount_gateway_blueprints(app, host)

    @app.after_request
    def _security_headers(response: Response) -> Response:
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if "request_id" in g:
            response.headers[REQUEST_ID_HEADER] = g.request_id
        if request.path.startswith(("/admin", "/clientarea")) and not request.path.startswith("/admin/static"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    return app


__all__ = ["HostFlask", "create_app"]
