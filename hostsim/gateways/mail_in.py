"""Mail In Payment: the client posts a cheque to your address; the admin records the payment."""

from __future__ import annotations

from hostsim.money import format_money
from hostsim.plugins.gateway_types import GatewayConfig, GatewayParams, PayableInvoice
from hostsim.plugins.markers import hookimpl
from hostsim.plugins.types import ConfigField


@hookimpl
def gateway_config() -> GatewayConfig:
    return GatewayConfig(
        display_name="Mail In Payment",
        description="The client posts a cheque or money order; you record it when it arrives.",
        fields=(ConfigField("instructions", "Pay To Address", "textarea",
                            default="Example Hosting\n1 Example Street\nExample City",
                            description="Where cheques are sent"),),
    )


@hookimpl
def gateway_instructions(params: GatewayParams, invoice: PayableInvoice) -> str:
    address = params.settings.get("instructions", "").strip()
    return (f"Send a cheque for {format_money(invoice.balance, invoice.currency_code)} payable to:\n{address}\n"
            f"Write on it: Invoice #{invoice.id}").strip()
