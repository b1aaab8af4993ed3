"""Changing a client's currency, by WHMCS's rule: only while the client has no invoices (and no
credit), since amounts already billed or held stay in the currency they were made in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hostsim.db.locking import get_for_update
from hostsim.db.models import Client, Currency, Invoice
from hostsim.services.clients import ClientError, update_client

if TYPE_CHECKING:
    from hostsim.host import Host


def currency_problem(s: Session, client: Client, wanted: Currency | None, code: str) -> str:
    """Why ``client`` may not move to currency ``wanted`` (looked up from ``code``); '' when it may."""
    if wanted is None or not wanted.active:
        return f"{code.strip().upper() or code!r} is not an active currency"
    if wanted.id == client.currency_id:
        return ""
    invoices = s.scalar(select(func.count()).select_from(Invoice).where(Invoice.client_id == client.id)) or 0
    if invoices:
        return (f"the client has {invoices} invoice(s): the currency can only be changed while a client has no "
                "invoices")
    if client.credit:
        return "the client has a credit balance: remove it before changing the currency"
    return ""


def find_currency(s: Session, code: str) -> Currency | None:
    return s.scalars(select(Currency).where(Currency.code == (code or "").strip().upper())).first()


def change_currency(host: "Host", client_id: int, code: str, *, actor: str = "System") -> bool:
    """Give client ``client_id`` currency ``code`` (an active one); logged, ``client_edit`` fires.
    False when it already has it. ClientError names the field when it may not change."""
    wanted = (code or "").strip().upper()
    with host.transaction() as s:
        client = get_for_update(s, Client, client_id)  # a concurrent change waits for this one
        if client is None:
            raise ClientError("client_id", f"no client #{client_id}")
        currency = find_currency(s, wanted)
        problem = currency_problem(s, client, currency, wanted or code)
        if problem:
            raise ClientError("currency", problem)
        assert currency is not None
        if currency.id == client.currency_id:
            return False
        # update_client logs it ("Client Ada Lovelace (#1): currency changed from USD to EUR").
        update_client(host, client_id, actor=actor, session=s, currency_id=currency.id)
    return True
