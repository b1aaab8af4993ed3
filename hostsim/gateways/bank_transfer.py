"""Bank Transfer: the client is told the account and the reference; the admin records the payment."""

from __future__ import annotations

from hostsim.money import format_money
from hostsim.plugins.gateway_types import GatewayConfig, GatewayParams, PayableInvoice
from hostsim.plugins.markers import hookimpl
from hostsim.plugins.types import ConfigField

DEFAULT_DETAILS = "Bank: Example Bank\nAccount holder: Example Hosting\nIBAN: XX00 0000 0000 0000 0000 00\nBIC: EXAMPLEX"


@hookimpl
def gateway_config() -> GatewayConfig:
    return GatewayConfig(
        display_name="Bank Transfer",
        description="The client transfers the amount to your bank account, naming the invoice; you record it.",
        fields=(ConfigField("instructions", "Bank Transfer Instructions", "textarea", default=DEFAULT_DETAILS,
                            description="Your account details, as clients should copy them"),),
    )


@hookimpl
def gateway_instructions(params: GatewayParams, invoice: PayableInvoice) -> str:
    details = params.settings.get("instructions", "").strip()
    return (f"{details}\nReference: Invoice #{invoice.id}\n"
            f"Amount: {format_money(invoice.balance, invoice.currency_code)}").strip()
