"""What the client's and the admin's invoice pages share: the Pay To block, payment method
names in words, and the PDF download."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from flask import Response

from hostsim.services.invoice_pdf import invoice_pdf

if TYPE_CHECKING:
    from hostsim.db.models import Invoice
    from hostsim.host import Host


@dataclass(frozen=True)
class PayTo:
    name: str
    address: str


def pay_to(host: "Host") -> PayTo:
    settings = host.settings.all()
    return PayTo(settings["company_name"], settings["company_address"])


def method_namer(host: "Host") -> Callable[[str], str]:
    """A payment method's human name ("Bank Transfer", not "banktransfer")."""
    service = getattr(host, "payment_gateways", None)  # the payment gateways service
    if service is None:
        return lambda name: name
    return lambda name: str(service.display_name(name))


def pdf_response(host: "Host", invoice: "Invoice") -> Response:
    body = invoice_pdf(host, invoice)
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="invoice-{invoice.id}.pdf"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
