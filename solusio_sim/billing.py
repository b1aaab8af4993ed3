"""SolusIO's side of the billing integration: calls to the billing host's API.

The billing host's base URL and bearer secret come from
``settings.billing_integration.drivers.whmcs.{url,token}``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

import requests

from .models import Plan

TIMEOUT = (2.0, 5.0)  # connect, read


class BillingError(RuntimeError):
    """The billing host failed or answered something unusable."""


def _endpoint(base_url: str, name: str) -> str:
    return base_url.rstrip("/") + "/" + name


def fetch_token_price(base_url: str, token: str, billing_user_id: int) -> dict[str, Any]:
    """``GET {url}prices?billing_user_id=N`` -> ``{"currency": {...}, "token_price": Decimal}``."""
    try:
        resp = requests.get(_endpoint(base_url, "prices"),
                            params={"billing_user_id": billing_user_id},
                            headers={"Authorization": f"Bearer {token}",
                                     "Accept": "application/json"},
                            timeout=TIMEOUT)
        resp.raise_for_status()
        data = resp.json()["data"]
        return {"currency": dict(data.get("currency") or {}),
                "token_price": Decimal(str(data["token_price"]))}
    except (requests.RequestException, ValueError, KeyError, TypeError,
            InvalidOperation) as exc:
        raise BillingError(f"prices call failed: {exc}") from exc


def plan_price(plan: Plan, quote: dict[str, Any]) -> dict[str, Any]:
    """The ``price`` object of a plan from a token price quote."""
    token_price: Decimal = quote["token_price"]
    per_hour = Decimal(plan.tokens_per_hour) * token_price
    per_month = Decimal(plan.tokens_per_month) * token_price
    return {"per_hour": str(per_hour), "per_month": str(per_month),
            "currency_code": quote["currency"].get("code"), "taxes_inclusive": False,
            "taxes": [], "total_price": str(per_month)}


def sso_url(base_url: str, token: str, billing_user_id: int | None, destination: str) -> str:
    """``POST {url}sso`` -> the one-time login URL into the billing host."""
    try:
        resp = requests.post(_endpoint(base_url, "sso"),
                             json={"billing_user_id": billing_user_id,
                                   "destination": destination},
                             headers={"Authorization": f"Bearer {token}",
                                      "Accept": "application/json"},
                             timeout=TIMEOUT)
        resp.raise_for_status()
        body = resp.json()
        url = body.get("url") or (body.get("data") or {}).get("url")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise BillingError("sso answer carries no url")
        return url
    except (requests.RequestException, ValueError, AttributeError) as exc:
        raise BillingError(f"sso call failed: {exc}") from exc
