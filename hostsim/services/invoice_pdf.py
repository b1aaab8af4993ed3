"""An invoice as a PDF (reportlab): Pay To, Invoiced To, the lines, the totals, how to pay.

Text is set in Bitstream Vera, the TrueType family that ships inside reportlab, embedded as a
subset: the Unicode a name or an address may hold prints as written, and every currency symbol
Babel writes (EUR, GBP, JPY...) comes out as itself, never as a missing glyph. Amounts are
formatted by the host's one money formatter, in the invoice's currency.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence
from xml.sax.saxutils import escape

import reportlab
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.fonts import addMapping
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from hostsim.money import format_money

if TYPE_CHECKING:
    from hostsim.db.models import Invoice
    from hostsim.host import Host

FONT, FONT_BOLD = "HostsimVera", "HostsimVera-Bold"
STATUS_COLOURS = {"Paid": "#15803d", "Unpaid": "#b45309", "Overdue": "#b91c1c"}
_FONTS = Path(reportlab.__file__).parent / "fonts"


def _register_fonts() -> None:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(_FONTS / "Vera.ttf")))
        pdfmetrics.registerFont(TTFont(FONT_BOLD, str(_FONTS / "VeraBd.ttf")))
        # <b> in a paragraph picks the bold face through the family's mapping.
        for bold, italic in ((0, 0), (0, 1), (1, 0), (1, 1)):
            addMapping(FONT, bold, italic, FONT_BOLD if bold else FONT)


@dataclass(frozen=True)
class PdfLine:
    description: str
    amount: Decimal
    quantity: int | None = None
    unit: str = ""
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class PdfPayment:
    date: dt.date
    method: str
    transaction_id: str
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything the PDF prints, as plain values (so it renders without a database)."""

    number: int
    status: str
    date: dt.date
    due_date: dt.date
    currency_code: str
    company_name: str
    company_address: str
    client_name: str
    client_company: str
    client_address: str
    client_email: str
    lines: Sequence[PdfLine]
    subtotal: Decimal
    credit: Decimal
    tax: Decimal
    total: Decimal
    balance: Decimal
    payments: Sequence[PdfPayment] = field(default_factory=tuple)
    #: How to pay (Bank Transfer's account details and reference, say); '' prints nothing.
    payment_instructions: str = ""


def unit_price_text(amount: Decimal, code: str) -> str:
    """A unit price keeps the digits it has (0.0125 a token), through the same formatter."""
    return format_money(amount, code, exact=True)


def quantity_text(line: PdfLine | Any) -> str:
    if line.quantity is None:
        return ""
    return f"{line.quantity:,} {line.unit}".strip()


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=FONT, fontSize=9.5, leading=12.5)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#444444")),
        "title": ParagraphStyle("title", parent=base, fontName=FONT_BOLD, fontSize=18, leading=22),
        "head": ParagraphStyle("head", parent=base, fontName=FONT_BOLD, fontSize=10.5, leading=14, spaceAfter=2),
        "right": ParagraphStyle("right", parent=base, alignment=TA_RIGHT),
        "status": ParagraphStyle("status", parent=base, fontName=FONT_BOLD, fontSize=13, leading=16, alignment=TA_RIGHT),
    }


def _text(value: str) -> str:
    """Escaped for reportlab's mini markup, line breaks kept."""
    return "<br/>".join(escape(line) for line in value.split("\n"))


def render_pdf(doc: InvoiceDocument) -> bytes:
    _register_fonts()
    st = _styles()
    code = doc.currency_code

    def money(amount: Decimal) -> str:
        return format_money(amount, code)

    out = BytesIO()
    pdf = SimpleDocTemplate(out, pagesize=A4, leftMargin=18 * mm, rightMargin=18 * mm, topMargin=16 * mm,
                            bottomMargin=16 * mm, title=f"Invoice #{doc.number}", author=doc.company_name,
                            subject=f"Invoice #{doc.number}", creator="hostsim")
    width = pdf.width - 12  # the frame's own padding (6 pt a side) is not the tables' to use
    story: list[Any] = []
    tone = STATUS_COLOURS.get(doc.status, "#344054")
    head = Table([[Paragraph(f"Invoice #{doc.number}", st["title"]),
                   Paragraph(f'<font color="{tone}">{escape(doc.status.upper())}</font>', st["status"])],
                  [Paragraph(f"Invoice Date: {doc.date.isoformat()}<br/>Due Date: {doc.due_date.isoformat()}", st["base"]),
                   Paragraph(f"Currency: {escape(code)}", st["right"])]],
                 colWidths=[width * 0.6, width * 0.4])
    head.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                              ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)]))
    story += [head, Spacer(1, 6 * mm)]

    pay_to = f"<b>{_text(doc.company_name)}</b>" + (f"<br/>{_text(doc.company_address)}" if doc.company_address else "")
    invoiced = [f"<b>{_text(doc.client_name)}</b>"]
    invoiced += [_text(v) for v in (doc.client_company, doc.client_address, doc.client_email) if v]
    parties = Table([[Paragraph("Pay To", st["head"]), Paragraph("Invoiced To", st["head"])],
                     [Paragraph(pay_to, st["base"]), Paragraph("<br/>".join(invoiced), st["base"])]],
                    colWidths=[width / 2, width / 2])
    parties.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    story += [parties, Spacer(1, 7 * mm)]

    rows: list[list[Any]] = [[Paragraph("<b>Description</b>", st["base"]), Paragraph("<b>Quantity</b>", st["right"]),
                              Paragraph("<b>Unit Price</b>", st["right"]), Paragraph("<b>Amount</b>", st["right"])]]
    for line in doc.lines:
        rows.append([Paragraph(_text(line.description), st["base"]),
                     Paragraph(escape(quantity_text(line)), st["right"]),
                     Paragraph(escape(unit_price_text(line.unit_price, code)) if line.unit_price is not None else "",
                               st["right"]),
                     Paragraph(escape(money(line.amount)), st["right"])])
    totals = [("Subtotal", doc.subtotal), ("Credit", doc.credit)]
    if doc.tax:
        totals.append(("Tax", doc.tax))
    totals += [("Total", doc.total), ("Balance", doc.balance)]
    first_total = len(rows)
    for label, amount in totals:
        bold = label in ("Total", "Balance")
        text = f"<b>{label}</b>" if bold else label
        rows.append(["", "", Paragraph(text, st["right"]), Paragraph(f"<b>{escape(money(amount))}</b>" if bold
                                                                      else escape(money(amount)), st["right"])])
    table = Table(rows, colWidths=[width * 0.52, width * 0.16, width * 0.16, width * 0.16], repeatRows=1)
    table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef2f8")),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#9aa7ba")),
        ("LINEBELOW", (0, 1), (-1, first_total - 1), 0.3, colors.HexColor("#d5dbe5")),
        ("LINEABOVE", (2, first_total), (-1, first_total), 0.8, colors.HexColor("#9aa7ba")),
        ("LINEABOVE", (2, len(rows) - 2), (-1, len(rows) - 2), 0.8, colors.HexColor("#9aa7ba")),
        ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    story += [table]

    if doc.payments:
        story += [Spacer(1, 6 * mm), Paragraph("Transactions", st["head"])]
        prow: list[list[Any]] = [[Paragraph(f"<b>{h}</b>", st["base"]) for h in ("Date", "Method", "Transaction ID")]
                                 + [Paragraph("<b>Amount</b>", st["right"])]]
        for p in doc.payments:
            prow.append([Paragraph(p.date.isoformat(), st["base"]), Paragraph(_text(p.method), st["base"]),
                         Paragraph(_text(p.transaction_id), st["base"]), Paragraph(escape(money(p.amount)), st["right"])])
        ptable = Table(prow, colWidths=[width * 0.2, width * 0.3, width * 0.3, width * 0.2])
        ptable.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.HexColor("#9aa7ba")),
                                    ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        story.append(ptable)

    if doc.payment_instructions:
        story += [Spacer(1, 6 * mm), Paragraph("Payment Instructions", st["head"]),
                  Paragraph(_text(doc.payment_instructions), st["base"])]
    pdf.build(story)
    return out.getvalue()


def payment_instructions(host: "Host", invoice_id: int) -> str:
    """The host's payment instructions for an invoice (the active gateways'), '' when none."""
    service = getattr(host, "payment_gateways", None)  # the payment gateways service
    return str(service.instructions(invoice_id)) if service is not None else ""


def document_for(host: "Host", invoice: "Invoice", *, instructions: str | None = None) -> InvoiceDocument:
    """What the PDF of ``invoice`` (loaded with its items, payments and client) prints."""
    settings = host.settings.all()
    client = invoice.client
    names = _method_names(host)
    return InvoiceDocument(
        number=invoice.id, status=invoice.display_status(host.clock.today()), date=invoice.date,
        due_date=invoice.due_date, currency_code=invoice.currency.code, company_name=settings["company_name"],
        company_address=settings.get("company_address", ""), client_name=client.full_name,
        client_company=client.company, client_address=client.address, client_email=client.email,
        lines=[PdfLine(i.description, i.amount, i.quantity, i.unit, i.unit_price) for i in invoice.items],
        subtotal=invoice.subtotal, credit=invoice.credit, tax=invoice.tax, total=invoice.total,
        balance=host.invoices.balance(invoice),
        payments=[PdfPayment(p.date.date(), names(p.gateway), p.transaction_id, p.amount) for p in invoice.payments],
        payment_instructions=payment_instructions(host, invoice.id) if instructions is None else instructions)


def _method_names(host: "Host") -> Any:
    """A payment method's human name (the gateways' service's, when there is one)."""
    service = getattr(host, "payment_gateways", None)
    return (lambda name: str(service.display_name(name))) if service is not None else (lambda name: name)


def invoice_pdf(host: "Host", invoice: "Invoice") -> bytes:
    return render_pdf(document_for(host, invoice))
