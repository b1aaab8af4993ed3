"""Addon pages of the client area (``/index.php?m=<module>``) and the addons' mounted blueprints."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, abort, flash, jsonify, redirect, request, url_for
from flask_wtf.csrf import generate_csrf
from jinja2 import TemplateNotFound
from werkzeug.wrappers import Response

from hostsim.host import Host
from hostsim.plugins.types import ClientAreaPage, ClientAreaRequest, JsonAnswer
from hostsim.web.context import current_client_id, get_host, render_client_page
from hostsim.web.security import csrf

log = logging.getLogger(__name__)

bp = Blueprint("addons", __name__)
MOUNT_PREFIX = "/modules/addons"
RESERVED_BLUEPRINTS = frozenset({"admin", "client", "theme", "addons", "static"})


@bp.route("/index.php", methods=["GET", "POST"])
def index_php() -> Any:
    module = request.args.get("m", "")
    if not module:
        return redirect(url_for("client.home"))
    return client_area_page(module)


@bp.route("/clientarea/addon/<module>", methods=["GET", "POST"])
def addon_page(module: str) -> Any:
    return client_area_page(module)


def client_area_page(module: str) -> Any:
    """Ask the ACTIVE addon ``module`` for its page and answer with it, the JSON, or its response."""
    host = get_host()
    if not host.addons.is_installed(module) or not host.lifecycle.is_active(module):
        abort(404)
    client_id = current_client_id()
    ask = ClientAreaRequest(module=module, module_link=url_for("addons.index_php", m=module),
                            settings=host.addon_settings.get_all(module), client_id=client_id,
                            request=request, csrf_token=generate_csrf())
    answer = host.addons.client_area(module, ask)
    if isinstance(answer, Response):
        return answer
    if isinstance(answer, JsonAnswer):
        response = jsonify(answer.data)
        response.status_code = answer.status
        return response
    if not isinstance(answer, ClientAreaPage):
        abort(404)
    if answer.requirelogin and client_id is None:
        return redirect(url_for("client.login", next=request.full_path.rstrip("?")))
    name = host.templates.addon_template_name(module, answer.template)
    variables = {**answer.vars, "modulelink": ask.module_link, "module": module}
    try:
        return render_client_page(answer.page_title, name, breadcrumb=answer.breadcrumb, **variables)
    except TemplateNotFound as exc:
        log.error("addon %s: template %s not found (missing: %s)", module, name, exc.name)
        flash("That page is not available right now.", "error")
        return redirect(url_for("client.home"))


def mount_addon_blueprints(app: Flask, host: Host) -> None:
    """Mount every installed addon's blueprint under ``/modules/addons/<module>``.

    Each request first checks that the addon is still active (another process may have
    deactivated it; the active addons are read again whenever any process changes them):
    otherwise the answer is 404 and the addon's code never runs.
    """
    for module in host.addons.installed():
        try:
            addon_bp = host.addons.blueprint(module)
        except Exception:
            log.exception("addon %s: building its blueprint failed; its routes are not mounted", module)
            continue
        if addon_bp is None:
            continue
        if addon_bp.name in RESERVED_BLUEPRINTS or addon_bp.name in app.blueprints:
            log.error("addon %s: blueprint name %r is taken; its routes are not mounted", module, addon_bp.name)
            continue
        app.register_blueprint(addon_bp, url_prefix=f"{MOUNT_PREFIX}/{module}")
        app.before_request_funcs.setdefault(addon_bp.name, []).insert(0, _active_gate(host, module))
        if getattr(addon_bp, "csrf_exempt", False):
            csrf.exempt(addon_bp)


def _active_gate(host: Host, module: str) -> Any:
    def gate() -> None:
        if not host.lifecycle.is_active(module):
            abort(404)
    return gate
