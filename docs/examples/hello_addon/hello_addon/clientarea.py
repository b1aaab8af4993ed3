"""The client side: the page ``/index.php?m=hello`` and a panel on the client's homepage."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select

from hello_addon import MODULE
from hostsim.addon_api import Client, ClientAreaPage, Invoice, InvoiceStatus, hookimpl

if TYPE_CHECKING:
    from hostsim.addon_api import ClientAreaRequest, Host, MenuItem

TITLE = "Hello"
PAGE_URL = f"/index.php?m={MODULE}"


def unpaid_invoices(host: Host, client_id: int) -> int:
    """How many unpaid invoices the client has (a read through the host's read models)."""
    with host.sessions() as s:
        query = select(func.count()).select_from(Invoice).where(
            Invoice.client_id == client_id, Invoice.status == InvoiceStatus.UNPAID)
        return int(s.scalar(query) or 0)


@hookimpl
def addon_client_area(host: Host, page: ClientAreaRequest) -> ClientAreaPage:
    """The page greets a visitor, or a logged-in client by name with their unpaid invoices."""
    name, unpaid = None, 0
    if page.client_id is not None:
        with host.sessions() as s:
            client = s.get(Client, page.client_id)
            name = client.first_name if client is not None else None
        unpaid = unpaid_invoices(host, page.client_id)
    return ClientAreaPage(TITLE, "hello", breadcrumb=[(TITLE, page.module_link)],
                          vars={"greeting": page.settings["greeting"], "name": name, "unpaid": unpaid})


@hookimpl
def client_area_homepage_panels(host: Host, panels: MenuItem, client: Client) -> None:
    """A panel on the logged-in client's homepage, its body from ``templates/panel.tpl``."""
    # Imported here: cron and the command line load this module too, and need no Flask.
    from hostsim.addon_api.web import render_fragment

    unpaid = unpaid_invoices(host, client.id)
    body = render_fragment(host.templates.template_name(MODULE, "panel"),
                           greeting=host.addon_settings.get_all(MODULE)["greeting"], name=client.first_name,
                           unpaid=unpaid)
    panels.add_child("Hello", label="Hello", icon="smile", order=90, badge=str(unpaid) if unpaid else "",
                     body_html=body, footer_html=f'<a href="{PAGE_URL}">Open the Hello page</a>')
