"""The admin area (``/admin``): not themable, like WHMCS's admin area."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint

from hostsim.web.context import current_admin, get_host

log = logging.getLogger(__name__)
bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.context_processor
def _admin_context() -> dict[str, Any]:
    """The sidebar: addons whose admin page the logged-in admin's role may open."""
    host = get_host()
    admin = current_admin()
    links: list[tuple[str, str]] = []
    if admin is not None:
        try:
            for module in sorted(host.addons.active()):
                if admin.role_id in host.lifecycle.access_role_ids(module):
                    links.append((module, host.addons.config(module).name))
        except Exception:  # a broken addon must not take the admin area down
            log.exception("listing addon links failed")
    return {"admin": admin, "addon_links": links, "company_name": host.settings.get("company_name")}


from hostsim.web.admin import (  # noqa: F401
    addonmodules,
    billing,
    client_credit,
    client_currency,
    client_impersonation,
    client_profile,
    client_status,
    gateways,
    invoice_refunds,
    logs,
    settings,
    views,
)
