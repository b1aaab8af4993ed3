"""The hooks of a payment gateway module: the second kind of plugin.

A gateway is found through the ``hostsim.gateways`` entry-point group and registered by the one
plugin-manager factory (:func:`hostsim.plugins.manager.get_plugin_manager`) under the name
``gateway:<name>``. Every gateway hook is a *gateway call*: it reaches exactly one gateway (the
one being configured, rendered or called back) and is ``firstresult``.

The host, not the gateway, enforces the payment contract on every callback: the invoice exists
and is Unpaid, the currency matches, an amount short of the balance is a partial payment and one
above it leaves the rest as credit, a transaction id is recorded once, and every callback is
written to the Gateway Log with secrets masked.

These specifications are re-exported by :mod:`hostsim.plugins.hookspecs`, so ``docs/hooks.md``
and its test cover them with the addon hooks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hostsim.plugins.markers import hookspec

if TYPE_CHECKING:
    from flask import Blueprint

    from hostsim.addon_api.host import Host
    from hostsim.plugins.gateway_types import (
        CallbackRequest,
        CallbackResult,
        GatewayConfig,
        GatewayParams,
        PayableInvoice,
        PaymentForm,
        RefundRequest,
        RefundResult,
    )


@hookspec(firstresult=True)
def gateway_config() -> "GatewayConfig":
    """Describe the gateway: machine name, human display name, typed config fields, refund support.

    Return a :class:`~hostsim.plugins.gateway_types.GatewayConfig`. The host renders the fields
    on the Payment Gateways page and stores ``password`` fields encrypted.
    """


@hookspec(firstresult=True)
def gateway_payment_form(host: "Host", params: "GatewayParams", invoice: "PayableInvoice") -> "PaymentForm | None":
    """The Pay Now form (or link, with ``method="get"``) for one unpaid invoice.

    :param host: the addon facade.
    :param params: the gateway's settings and its callback URL.
    :param invoice: the invoice to pay, with its balance in its currency.
    Return ``None`` for an offline method (bank transfer, mail in): the client then sees the
    gateway's instructions instead of a button.
    """


@hookspec(firstresult=True)
def gateway_instructions(host: "Host", params: "GatewayParams", invoice: "PayableInvoice") -> "str | None":
    """Plain-text instructions for paying one invoice by this method (bank details, address).

    :param host: the addon facade.
    :param params: the gateway's settings.
    :param invoice: the invoice the instructions are for (name its number as the reference).
    Shown on the invoice page, in the invoice email and the PDF; ``None`` when there are none.
    """


@hookspec(firstresult=True)
def gateway_callback(host: "Host", params: "GatewayParams", request: "CallbackRequest") -> "CallbackResult":
    """Read one callback of the gateway's processor: verify it, then say what it reports.

    :param host: the addon facade.
    :param params: the gateway's settings (its secret, to check a signature).
    :param request: the callback as it arrived.
    Return a :class:`~hostsim.plugins.gateway_types.CallbackResult`. Verify the signature or
    secret first and answer ``invalid_signature`` when it is wrong; record nothing yourself: the
    host checks the invoice, amount, currency and transaction id and records the payment.
    """


@hookspec(firstresult=True)
def gateway_refund(host: "Host", params: "GatewayParams", refund: "RefundRequest") -> "RefundResult | None":
    """Refund one payment through the processor (gateways whose config says ``supports_refund``).

    :param host: the addon facade.
    :param params: the gateway's settings.
    :param refund: the payment to refund and the amount.
    Return a :class:`~hostsim.plugins.gateway_types.RefundResult`; the host records the refund.
    """


@hookspec(firstresult=True)
def gateway_blueprint(host: "Host") -> "Blueprint | None":
    """Pages the gateway serves itself (a hosted payment page), mounted under ``/modules/gateways/<name>/``.

    :param host: the addon facade.
    Mounted for installed gateways; a page must answer 404 while its gateway is inactive.
    """
