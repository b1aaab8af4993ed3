"""An admin saves a client's whole profile at once (the admin client page's Profile form).

Every field is checked before anything is written, and every problem is reported at once, by the
rules of :mod:`hostsim.services.clients` (names, email, lengths, status) and
:mod:`hostsim.services.client_currency` (the currency only while the client has no invoices and
no credit). The change is then one :func:`~hostsim.services.clients.update_client` in one
transaction: logged as one sentence, ``client_edit`` (and ``client_status_change``) fired after
the commit, nothing written when an addon refuses it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hostsim.db.locking import get_for_update
from hostsim.db.models import Client
from hostsim.services.client_currency import currency_problem, find_currency
from hostsim.services.clients import ClientError, change_problems, update_client

if TYPE_CHECKING:
    from hostsim.host import Host

#: The form's fields, in the order the page shows them.
PROFILE_FIELDS = ("first_name", "last_name", "company", "email", "address", "currency", "status")


class ProfileRefused(ValueError):
    """The profile was not saved; ``errors`` holds every field's problem."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class ProfileSaved:
    changes: dict[str, tuple[Any, Any]]


def clean_address(text: str) -> str:
    """The address as lines, trimmed, blank ones dropped (what the invoice prints)."""
    return "\n".join(line.strip() for line in (text or "").split("\n") if line.strip())


def save_profile(host: "Host", client_id: int, values: dict[str, str], *, actor: str) -> ProfileSaved:
    """Save the submitted ``values`` (the ``PROFILE_FIELDS``; a missing one is left as it is).
    ProfileRefused holds every problem; ClientError("client_id") when there is no such client."""
    changes: dict[str, Any] = {k: str(values[k]).strip() for k in PROFILE_FIELDS if k in values}
    if "address" in changes:
        changes["address"] = clean_address(changes["address"])
    code = changes.pop("currency", None)
    errors = change_problems(changes)
    with host.transaction() as s:
        client = get_for_update(s, Client, client_id)  # the currency rule holds until the commit
        if client is None:
            raise ClientError("client_id", f"no client #{client_id}")
        if code is not None:
            currency = find_currency(s, code)
            problem = currency_problem(s, client, currency, code)
            if problem:
                errors["currency"] = problem
            elif currency is not None:
                changes["currency_id"] = currency.id
        if errors:
            raise ProfileRefused(errors)
        try:
            diff = update_client(host, client_id, actor=actor, session=s, **changes)
        except ClientError as exc:  # the email is taken, or an addon refused the change
            raise ProfileRefused({"currency" if exc.field == "currency_id" else exc.field: exc.message}) from None
    return ProfileSaved(diff)
