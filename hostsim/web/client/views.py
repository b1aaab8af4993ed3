"""The public homepage, the client's homepage with its panels, invoices, and simple pages."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from hostsim.db.models import Invoice
from hostsim.services.contact import FIELDS, send_contact_message
from hostsim.services.menus import default_homepage_panels, default_primary_navbar
from hostsim.web.auth import client_ip, client_required
from hostsim.web.client import bp
from hostsim.web.context import (
    current_client,
    get_host,
    render_theme,
    unpaid_invoice_count,
)
from hostsim.web.error_summary import form_summary
from hostsim.web.invoice_pages import method_namer, pay_to, pdf_response

CONTACT_LABELS = {"name": "Your name", "email": "Your email address", "subject": "Subject", "message": "Message"}

# Announcements, Knowledgebase, Network Status, My Services and My Domains have no content store
# (nor a services or domains model) in this host, so they have no route at all: their URLs answer
# 404 rather than an empty page, and the navbars leave them out (hostsim.services.menus).


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


@bp.get("/store")
def store() -> str:
    """Everything for sale: the entries of the visitors' Store menu, as addons fill it (WHMCS's
    product groups), each with the description the addon gives it (``body_html``)."""
    navbar = default_primary_navbar(logged_in=False)
    get_host().addons.primary_navbar(navbar, None)
    menu = navbar.get_child("Store")
    products = [item for item in (menu.children if menu else []) if item.uri and item.uri != "/store"]
    return render_theme("store.html", products=products, page_title="Store")


@bp.route("/contact", methods=["GET", "POST"])
def contact() -> Response | tuple[str, int]:
    client = current_client()
    form = {"name": f"{client.first_name} {client.last_name}" if client else "",
            "email": client.email if client else "", "subject": "", "message": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = {key: request.form.get(key, "") for key in FIELDS}
        outcome = send_contact_message(get_host(), {**form, "website": request.form.get("website", "")},
                                       ip=client_ip(), client=client)
        if outcome.sent:
            flash("Thank you: your message was sent. We will answer you by email.", "success")
            return redirect(url_for("client.contact"))  # a refresh sends nothing again
        errors = outcome.errors
    return render_theme("contact.html", form=form, errors=errors, **form_summary(errors, CONTACT_LABELS),
                        page_title="Contact Us"), (429 if "general" in errors else 400 if errors else 200)
