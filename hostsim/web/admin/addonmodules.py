"""Configuration > System Settings > Addon Modules, and the addons' own admin pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.db.models import AdminRole
from hostsim.plugins.types import AddonConfig, AdminPage
from hostsim.services.addon_lifecycle import LifecycleError
from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required, full_admin_required
from hostsim.web.context import current_admin, get_host

log = logging.getLogger(__name__)

FIELD_PREFIX = "cfg_"
ACCESS_DENIED_HINT = ("An administrator with the Full Administrator role can grant your role group access under "
                      "Configuration > System Settings > Addon Modules > Configure")


@dataclass
class AddonRow:
    module: str
    config: AddonConfig | None
    active: bool = False
    stored_version: str | None = None
    access: set[int] = field(default_factory=set)
    values: Mapping[str, str] = field(default_factory=dict)
    error: str = ""


def _roles() -> list[AdminRole]:
    with get_host().sessions() as s:
        return list(s.scalars(select(AdminRole).order_by(AdminRole.id)))


def _rows() -> list[AddonRow]:
    host = get_host()
    rows = []
    for module in host.addons.installed():
        try:
            config = host.addons.config(module)
        except Exception as exc:  # one broken addon still lets the page list the others
            log.exception("addon %s: config failed", module)
            rows.append(AddonRow(module, None, error=f"The addon's configuration could not be read: {exc}"))
            continue
        row = AddonRow(module, config, active=host.lifecycle.is_active(module))
        if row.active:
            row.stored_version = host.lifecycle.stored_version(module)
            row.access = host.lifecycle.access_role_ids(module)
            row.values = host.addon_settings.for_display(module)
        rows.append(row)
    return rows


def _render_list(*, open_module: str = "", form_error: str = "", submitted: AddonRow | None = None,
                 status: int = 200) -> tuple[str, int]:
    rows = _rows()
    if submitted is not None:
        rows = [submitted if r.module == submitted.module else r for r in rows]
    return render_template("admin/addonmodules.html", rows=rows, roles=_roles(), open_module=open_module,
                           form_error=form_error, prefix=FIELD_PREFIX, mask=PASSWORD_MASK), status


def _known(module: str) -> None:
    if not get_host().addons.is_installed(module):
        abort(404)


@bp.get("/addonmodules")
@full_admin_required
def addonmodules() -> tuple[str, int]:
    return _render_list(open_module=request.args.get("configure", ""))


@bp.post("/addonmodules/<module>/activate")
@full_admin_required
def activate(module: str) -> Response:
    _known(module)
    admin = current_admin()
    assert admin is not None
    result = get_host().lifecycle.activate(module, actor=admin.username)
    flash(result.description, result.status)
    return redirect(url_for("admin.addonmodules", configure=module if result.status != "error" else None))


@bp.route("/addonmodules/<module>/deactivate", methods=["GET", "POST"])
@full_admin_required
def deactivate(module: str) -> Response | str:
    """GET asks for confirmation, saying what goes and what stays; POST deactivates."""
    _known(module)
    host = get_host()
    if not host.lifecycle.is_active(module):
        flash(f"{host.addons.config(module).name} is not active.", "info")
        return redirect(url_for("admin.addonmodules"))
    if request.method == "GET":
        return render_template("admin/addon_deactivate.html", module=module, config=host.addons.config(module),
                               settings=len(host.addon_settings.for_display(module)))
    admin = current_admin()
    assert admin is not None
    result = host.lifecycle.deactivate(module, actor=admin.username)
    flash(result.description, result.status)
    return redirect(url_for("admin.addonmodules"))


@bp.post("/addonmodules/<module>/configure")
@full_admin_required
def configure(module: str) -> Response | tuple[str, int]:
    _known(module)
    host = get_host()
    admin = current_admin()
    assert admin is not None
    if not host.lifecycle.is_active(module):
        flash("Activate the addon before configuring it.", "error")
        return redirect(url_for("admin.addonmodules"))
    config = host.addons.config(module)
    submitted = {k[len(FIELD_PREFIX):]: v for k, v in request.form.items() if k.startswith(FIELD_PREFIX)}
    known_roles = {r.id for r in _roles()}
    try:
        role_ids = {int(v) for v in request.form.getlist("access_role")}
    except ValueError:
        role_ids = {-1}
    try:
        if not role_ids <= known_roles:
            raise ValueError("Access Control: choose from the listed role groups")
        # save_config checks every field before it writes any, so an error saves nothing.
        changed = host.addon_settings.save_config(module, submitted, actor=admin.username)
        access = host.lifecycle.set_access(module, role_ids, actor=admin.username)
    except (ValueError, LifecycleError) as exc:
        shown = dict(host.addon_settings.for_display(module))
        for f in config.fields:
            if f.type == "yesno":
                shown[f.key] = "on" if f.key in submitted else ""
            elif f.type != "password" and f.key in submitted:
                shown[f.key] = submitted[f.key]
        row = AddonRow(module, config, active=True, stored_version=host.lifecycle.stored_version(module),
                       access=role_ids & known_roles, values=shown)
        return _render_list(open_module=module, form_error=str(exc), submitted=row, status=400)
    said = [f"{config.name}: changes saved."] if changed else []
    said += [f"{sentence}." for sentence in access.sentences(config.name)]
    flash(" ".join(said) if said else f"{config.name}: No change.", "success")
    if access.none_left:
        flash(f"No role group can open {config.name}: no admin will reach its page until you tick one "
              "under Access Control.", "warning")
    return redirect(url_for("admin.addonmodules"))


# --- the addon's own admin page ---------------------------------------------------------------


@bp.route("/addonmodules.php", methods=["GET", "POST"])
@admin_required
def addon_page_php() -> Any:
    module = request.args.get("module", "")
    if not module:
        return redirect(url_for("admin.addonmodules"))
    return _addon_page(module)


@bp.route("/addons/<module>", methods=["GET", "POST"])
@admin_required
def addon_page(module: str) -> Any:
    return _addon_page(module)


def _addon_page(module: str) -> Any:
    host = get_host()
    admin = current_admin()
    assert admin is not None
    _known(module)
    config = host.addons.config(module)
    if not host.lifecycle.is_active(module):
        return render_template("admin/error.html", code=404, title=f"{config.name} is not active",
                               message="Activate it under Configuration > System Settings > Addon Modules."), 404
    try:
        host.lifecycle.upgrade_if_needed(module, actor=admin.username)
    except LifecycleError as exc:
        return render_template("admin/error.html", code=500, title="Addon upgrade failed", message=str(exc)), 500
    if admin.role_id not in host.lifecycle.access_role_ids(module):
        return render_template("admin/access_denied.html", addon=config, hint=ACCESS_DENIED_HINT), 403
    page = AdminPage(module=module, module_link=url_for("admin.addon_page_php", module=module),
                     settings=host.addon_settings.get_all(module), lang={}, admin_id=admin.id,
                     admin_username=admin.username, request=request, csrf_token=generate_csrf())
    output = host.addons.admin_output(module, page)
    if isinstance(output, Response):
        return output
    sidebar = host.addons.admin_sidebar(module, page)
    return render_template("admin/addon_page.html", addon=config, module=module,
                           output=Markup(output or ""), sidebar=Markup(sidebar) if sidebar else None)
