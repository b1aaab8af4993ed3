"""Invoice lines from SolusIO usage: one per server and resource, amounts rounded once."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from hostsim.addon_api import round_money
from solusio_addon.billing.periods import Period
from solusio_addon.solusio_api import Usage, UsageItem

ITEM_TYPE = "SolusioUsage"  # the invoice item type this addon sets, to find its own lines


@dataclass(frozen=True)
class Line:
    description: str
    amount: Decimal
    resource_type: str
    server_id: int
    server_name: str
    plan_name: str
    hours: int
    tokens: int
    capped: bool
    tokens_per_month: int
    unit_price: Decimal


def _describe(item: UsageItem, period: Period, capped: bool, cap: int) -> str:
    name = item.name or (f"server #{item.server_id}" if item.server_id else "server")
    plan = f" ({item.plan.name} plan)" if item.plan and item.plan.name else ""
    what = "Additional IPs" if item.type == "additional_ip" else "Server"
    if item.type == "additional_ip" and item.quantity > 1:
        what = f"{item.quantity} additional IPs"
    days = f"{period.start.isoformat()} to {period.last_day.isoformat()}"
    usage = f"{item.hours} h, {item.tokens} tokens"
    if capped:
        usage += f" (monthly cap of {cap} tokens applied)"
    return f"{what} {name}{plan}, {days}: {usage}"


def _rates(item: UsageItem) -> tuple[int, int]:
    """(tokens per hour, monthly cap) that priced ``item``; an IP item may carry either pair."""
    plan = item.plan
    if plan is None:
        return 0, 0
    if item.type == "additional_ip" and (plan.ip_tokens_per_hour or plan.ip_tokens_per_month):
        return plan.ip_tokens_per_hour or 0, plan.ip_tokens_per_month or 0
    return plan.tokens_per_hour or 0, plan.tokens_per_month or 0


def _was_capped(item: UsageItem) -> tuple[bool, int]:
    per_hour, cap = _rates(item)
    if item.capped is not None:
        return item.capped, cap
    return bool(cap) and item.hours * per_hour * max(1, item.quantity) > item.tokens, cap


def build_lines(usage: Usage, period: Period, token_price: Decimal, currency_code: str) -> list[Line]:
    """Lines for every item with tokens; amount = tokens x price, HALF_UP to the minor unit, once."""
    if token_price < 0:
        raise ValueError("token price must not be negative")
    lines = []
    for item in sorted(usage.items, key=lambda i: (i.server_id or 0, i.type != "server", i.name)):
        if item.tokens <= 0:
            continue
        capped, cap = _was_capped(item)
        lines.append(Line(
            description=_describe(item, period, capped, cap),
            amount=round_money(Decimal(item.tokens) * token_price, currency_code),
            resource_type=item.type, server_id=item.server_id or 0, server_name=item.name,
            plan_name=item.plan.name if item.plan else "", hours=item.hours, tokens=item.tokens,
            capped=capped, tokens_per_month=cap, unit_price=token_price,
        ))
    return lines
