"""Clients and invoices in the admin area, with the "Add payment" form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from markupsafe import Markup
from sqlalchemy import func, or_, select
from werkzeug.wrappers import Response

from hostsim.db.models import Client, ClientStatus, Currency, Invoice, InvoiceStatus
from hostsim.host import Host
from hostsim.money import minor_unit, parse_decimal
from hostsim.services.invoices import InvoiceError
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required
from hostsim.web.context import current_admin, get_host
from hostsim.web.invoice_pages import method_namer, pay_to, pdf_response
from hostsim.web.pagination import paginate

STATUS_FILTERS = ("Unpaid", "Overdue", "Paid", "Draft", "Cancelled", "Refunded", "Collections")
GATEWAYS = ("manual", "banktransfer", "paypal", "stripe")
#: How many credit ledger entries the client page lists (the latest).
CREDIT_HISTORY = 100


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@bp.get("/clients")
@admin_required
def clients() -> str:
    q = request.args.get("q", "").strip()[:200]
    stmt = select(Client).order_by(Client.id.desc())
    if q:
        pattern = _like(q)
        full_name = func.lower(Client.first_name + " " + Client.last_name)
        stmt = stmt.where(or_(full_name.like(pattern, escape="\\"), func.lower(Client.email).like(pattern, escape="\\"),
                              func.lower(Client.company).like(pattern, escape="\\")))
    with get_host().sessions() as s:
        page = paginate(s, stmt)
    return render_template("admin/clients.html", page=page, q=q)


@bp.get("/clients/<int:client_id>")
@admin_required
def client(client_id: int) -> tuple[str, int]:
    return render_client(client_id)


def render_client(client_id: int, *, credit_form: dict[str, str] | None = None,
                  credit_errors: dict[str, str] | None = None, profile_form: dict[str, str] | None = None,
                  profile_errors: dict[str, str] | None = None, status: int = 200) -> tuple[str, int]:
    """The client's page; the credit or profile form as submitted, with its errors, when it was refused."""
    host = get_host()
    with host.sessions() as s:
        row = s.get(Client, client_id)
        if row is None:
            abort(404)
        invoices = list(s.scalars(select(Invoice).where(Invoice.client_id == client_id).order_by(Invoice.id.desc())))
        currencies = list(s.scalars(select(Currency.code).where(Currency.active.is_(True)).order_by(Currency.id)))
        profile = {"first_name": row.first_name, "last_name": row.last_name, "company": row.company,
                   "email": row.email, "address": row.address, "currency": row.currency.code,
                   "status": row.status.value}
    return render_template("admin/client.html", client=row, invoices=invoices, today=host.clock.today(),
                           currencies=currencies, credit_history=host.credit.history(client_id, CREDIT_HISTORY),
                           credit_history_max=CREDIT_HISTORY,
                           credit_form=credit_form or {"amount": "", "direction": "add", "reason": ""},
                           credit_errors=credit_errors or {}, profile_form={**profile, **(profile_form or {})},
                           profile_errors=profile_errors or {}, client_statuses=[s.value for s in ClientStatus],
                           addon_panels=_addon_panels(host, client_id)), status


def _addon_panels(host: Host, client_id: int) -> list[Markup]:
    """The active addons' panels (``admin_area_client_summary_page``): their own HTML, as addon pages are."""
    admin = current_admin()
    assert admin is not None
    return [Markup(html) for html in host.addons.admin_client_summary(client_id, admin.id)]


@bp.get("/invoices")
@admin_required
def invoices() -> str:
    host = get_host()
    today = host.clock.today()
    status = request.args.get("status", "")
    stmt = select(Invoice).order_by(Invoice.id.desc())
    if status == "Overdue":
        stmt = stmt.where(Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date < today)
    elif status in STATUS_FILTERS:
        stmt = stmt.where(Invoice.status == InvoiceStatus(status))
    else:
        status = ""
    with host.sessions() as s:
        page = paginate(s, stmt)
    return render_template("admin/invoices.html", page=page, status=status, statuses=STATUS_FILTERS, today=today)


@bp.route("/invoices/<int:invoice_id>", methods=["GET", "POST"])
@admin_required
def invoice(invoice_id: int) -> Response | tuple[str, int]:
    host = get_host()
    inv = host.invoices.get(invoice_id)
    if inv is None:
        abort(404)
    errors: dict[str, str] = {}
    form = {"amount": "", "gateway": "manual", "transaction_id": ""}
    if request.method == "POST":
        admin = current_admin()
        assert admin is not None
        form = {k: request.form.get(k, "").strip() for k in form}
        try:
            amount = parse_decimal(form["amount"], places=minor_unit(inv.currency.code), field="amount")
            if form["gateway"] not in GATEWAYS:
                raise InvoiceError("gateway", "choose a payment method from the list")
            if len(form["transaction_id"]) > 255:
                raise InvoiceError("transaction_id", "is too long")
            paid = host.invoices.add_payment(invoice_id, amount, gateway=form["gateway"],
                                             transaction_id=form["transaction_id"], actor=admin.username)
        except InvoiceError as exc:
            errors[exc.field if exc.field in form else "general"] = exc.message
        except ValueError as exc:
            name, _, message = str(exc).partition(": ")
            errors[name if name in form else "general"] = message or str(exc)
        else:
            flash("Payment added; the invoice is now Paid." if paid else "Payment added.", "success")
            return redirect(url_for("admin.invoice", invoice_id=invoice_id))
    from hostsim.web.admin.invoice_refunds import refund_panel  # it imports this module
    return render_template("admin/invoice.html", invoice=inv, balance=host.invoices.balance(inv),
                           today=host.clock.today(), errors=errors, form=form, gateways=GATEWAYS, pay_to=pay_to(host),
                           method_name=method_namer(host), **refund_panel(host, inv)), (400 if errors else 200)


@bp.get("/invoices/<int:invoice_id>/pdf")
@admin_required
def invoice_pdf(invoice_id: int) -> Response:
    host = get_host()
    inv = host.invoices.get(invoice_id)
    if inv is None:
        abort(404)
    return pdf_response(host, inv)
