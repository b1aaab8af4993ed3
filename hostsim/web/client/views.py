"""The public homepage, the client's homepage with its panels, invoices, and simple pages."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.db.models import Invoice
from hostsim.services.menus import default_homepage_panels
from hostsim.web.auth import client_required
from hostsim.web.client import bp
from hostsim.web.context import (
    current_client,
    get_host,
    render_theme,
    unpaid_invoice_count,
)
from hostsim.web.invoice_pages import method_namer, pay_to, pdf_response

#: Pages the default navbars link to that this host does not fill yet. Announcements,
#: Knowledgebase, Network Status, My Services and My Domains have no content store (nor a services
#: or domains model) in this host, so they have no route at all: their URLs answer 404 rather
#: than an empty page, and the navbars leave them out (hostsim.services.menus).
SIMPLE_PAGES = {"store": ("Store", False), "contact": ("Contact Us", False)}


@bp.get("/")
def home() -> str:
    return render_theme("homepage.html", page_title="Home")


@bp.get("/clientarea")
@client_required
def clientarea() -> str:
    host = get_host()
    client = current_client()
    assert client is not None
    panels = default_homepage_panels(unpaid_invoice_count(client.id))
    host.addons.homepage_panels(panels, client)
    return render_theme("clientarea.html", panels=panels, page_title="Client Area")


@bp.get("/clientarea/invoices")
@client_required
def invoices() -> str:
    host = get_host()
    client = current_client()
    assert client is not None
    with host.sessions() as s:
        rows = list(s.scalars(select(Invoice).where(Invoice.client_id == client.id).order_by(Invoice.id.desc())))
    return render_theme("invoices.html", invoices=rows, today=host.clock.today(), page_title="My Invoices")


def _own_invoice(invoice_id: int) -> Invoice:
    client = current_client()
    assert client is not None
    inv = get_host().invoices.get(invoice_id)
    if inv is None or inv.client_id != client.id:
        abort(404)  # someone else's invoice does not exist for this client
    return inv


@bp.get("/clientarea/invoices/<int:invoice_id>")
@client_required
def invoice(invoice_id: int) -> str:
    host = get_host()
    inv = _own_invoice(invoice_id)
    return render_theme("invoice.html", invoice=inv, balance=host.invoices.balance(inv), today=host.clock.today(),
                        pay_to=pay_to(host), method_name=method_namer(host), page_title=f"Invoice #{inv.id}")


@bp.get("/clientarea/invoices/<int:invoice_id>/pdf")
@client_required
def invoice_pdf(invoice_id: int) -> Response:
    return pdf_response(get_host(), _own_invoice(invoice_id))


def _simple_page(slug: str) -> str | Response:
    title, needs_login = SIMPLE_PAGES[slug]
    if needs_login and current_client() is None:
        return redirect(url_for("client.login", next=request.path))
    return render_theme("simple.html", page_title=title)


for _slug in SIMPLE_PAGES:
    bp.add_url_rule(f"/{_slug}", endpoint=_slug.replace("/", "_"), view_func=lambda _s=_slug: _simple_page(_s))
