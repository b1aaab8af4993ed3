"""The values that cross the payment-gateway hooks (see ``hostsim.plugins.gateway_hookspecs``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal, Mapping

from hostsim.plugins.types import ConfigField


@dataclass(frozen=True)
class GatewayConfig:
    """What a gateway module declares about itself (WHMCS ``<gateway>_MetaData`` + ``_config``).

    Its machine name is its entry-point name (``hostsim.gateways``). ``display_name`` is the
    human name shown to clients and admins until the admin renames it; ``fields`` are typed
    config fields (a ``password`` field is stored encrypted and masked in the Gateway Log);
    ``secret_params`` names callback parameters to mask in the log as well.
    """

    display_name: str
    description: str = ""
    fields: tuple[ConfigField, ...] = ()
    supports_refund: bool = False
    secret_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class GatewayParams:
    """A gateway's configuration as a hook sees it: its stored settings, decrypted."""

    name: str
    display_name: str
    settings: Mapping[str, str]
    callback_url: str
    base_url: str
    company_name: str


@dataclass(frozen=True)
class PayableInvoice:
    """The invoice a payment form or instructions are made for."""

    id: int
    client_id: int
    client_name: str
    client_email: str
    currency_code: str
    total: Decimal
    balance: Decimal
    due_date: dt.date
    return_url: str


@dataclass(frozen=True)
class PaymentForm:
    """How a client pays online: the host renders a form posting ``fields`` to ``action``."""

    action: str
    fields: Mapping[str, str] = field(default_factory=dict)
    method: Literal["get", "post"] = "post"
    button_label: str = "Pay Now"


@dataclass(frozen=True)
class CallbackRequest:
    """One callback as it arrived (form fields or JSON flattened into ``params``)."""

    params: Mapping[str, str]
    raw_body: str
    headers: Mapping[str, str]
    remote_addr: str


CallbackStatus = Literal["success", "failure", "invalid_signature", "ignored"]


@dataclass(frozen=True)
class CallbackResult:
    """What a gateway read from a callback. The host checks the rest (see docs/hooks.md).

    ``status``: ``success`` (a payment was made), ``failure`` (the processor declined it),
    ``invalid_signature`` (the message is not genuine: nothing else is trusted), ``ignored``
    (a notification that is not a payment). ``redirect_url``: where to send a browser that
    posted the callback itself (a hosted page); ``None`` answers with plain text.
    """

    status: CallbackStatus
    invoice_id: int | None = None
    transaction_id: str = ""
    amount: Decimal | None = None
    currency_code: str = ""
    message: str = ""
    redirect_url: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    """A refund the admin asked for, of one recorded payment."""

    invoice_id: int
    payment_id: int
    transaction_id: str
    amount: Decimal
    currency_code: str


@dataclass(frozen=True)
class RefundResult:
    status: Literal["success", "error"]
    transaction_id: str = ""
    message: str = ""
