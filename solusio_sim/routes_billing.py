"""The two directions of single sign-on and pricing between SolusIO and the billing host.

* Plans carry a ``price`` that SolusIO asks the billing host for (``?billing_user_id=N``).
* ``/billing/go`` sends a SolusIO user to the billing portal through the billing host's SSO.
* ``/auth/by-token`` is SolusIO's login page for a one-time token minted by the billing side.
"""

from __future__ import annotations

import html
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from . import billing, serialize
from .state import NotFound
from .web import Handlers, html_page, json_response

SESSION_COOKIE = "solusio_session"
INVALID_LINK = "This login link is invalid or has already been used"

RULES = [
    Rule("/api/v1/plans", endpoint="plans", methods=["GET"]),
    Rule("/api/v1/plans/<int:plan_id>", endpoint="plan", methods=["GET"]),
    Rule("/auth/by-token", endpoint="auth_by_token", methods=["GET"]),
    Rule("/billing/go", endpoint="billing_go", methods=["GET"]),
]
#: browser pages: no API token
PUBLIC = {"auth_by_token", "billing_go"}


class BillingRoutes(Handlers):
    def _price_quote(self, request: Request) -> dict[str, Any] | None:
        """The token price for ``?billing_user_id=N`` from the billing host, or None."""
        raw = request.args.get("billing_user_id")
        driver = self.state.billing_driver()
        if not raw or driver is None:
            return None
        try:
            billing_user_id = int(raw)
        except ValueError:
            return None
        try:
            return billing.fetch_token_price(driver[0], driver[1], billing_user_id)
        except billing.BillingError:
            return None

    def on_plans(self, request: Request, token: Any) -> Response:
        quote = self._price_quote(request)
        with self.state.lock:
            plans = list(self.state.plans.values())
            return self._page(request, plans, lambda p: serialize.plan(
                p, billing.plan_price(p, quote) if quote else None))

    def on_plan(self, request: Request, plan_id: int, token: Any) -> Response:
        plan = self.state.get_plan(plan_id)
        quote = self._price_quote(request)
        return json_response({"data": serialize.plan(
            plan, billing.plan_price(plan, quote) if quote else None)})

    def on_auth_by_token(self, request: Request) -> Response:
        user = self.state.consume_one_time_token(request.args.get("token", ""))
        if user is None:
            return html_page("Login failed", html.escape(INVALID_LINK), 401)
        response = html_page("SolusIO", f"Logged in as {html.escape(user.email)}")
        response.set_cookie(SESSION_COOKIE, self.state.open_session(user.id), httponly=True,
                            samesite="Lax", path="/")
        return response

    def on_billing_go(self, request: Request) -> Response:
        destination = request.args.get("destination", "home")
        if destination not in ("invoices", "home"):
            return html_page("Bad request", "Unknown destination.", 400)
        try:
            user = self.state.get_user(int(request.args.get("user_id", "")))
        except (ValueError, NotFound):
            return html_page("Not found", "Unknown user.", 404)
        driver = self.state.billing_driver()
        if driver is None:
            return html_page("Billing unavailable", "Billing integration is not configured.",
                             409)
        try:
            target = billing.sso_url(driver[0], driver[1], user.billing_user_id, destination)
        except billing.BillingError:
            return html_page("Billing unavailable",
                             "The billing portal could not be reached.", 502)
        return Response(status=302, headers={"Location": target})
