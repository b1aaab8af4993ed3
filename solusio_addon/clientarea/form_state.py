"""Post/Redirect/Get for the addon's client forms, and their error summaries.

A POST never renders a page: it keeps what the next GET must show (the outcome, the non-secret
values typed, the errors) in the session and redirects, so a refresh or Back never submits the
form again. The GET takes the state once. Passwords are never kept.
"""

from __future__ import annotations

from typing import Any

from flask import session

from hostsim.addon_api.web import form_summary

KEY = "solusio_form"
#: Each form field's label, in the order the forms show them, and the element ids that are not
#: the theme's ``f-<name>`` (the terms checkboxes).
LABELS: dict[str, str] = {
    "first_name": "First name", "last_name": "Last name", "company": "Company", "email": "Email address",
    "currency": "Currency", "password": "Password", "accept_tos": "Terms of Service",
    "accept_postpay": "Post-Pay Terms & Conditions",
}
IDS = {"accept_tos": "accept-tos", "accept_postpay": "accept-postpay"}


def keep(kind: str, *, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
         message: str = "", **extra: Any) -> None:
    """What the redirected GET shows; ``values`` must not hold a password."""
    kept = {k: v for k, v in (values or {}).items() if k != "password"}
    session[KEY] = {"kind": kind, "values": kept, "errors": dict(errors or {}), "message": message, **extra}


def take(*kinds: str) -> dict[str, Any] | None:
    """The kept state if it is one of ``kinds`` (then forgotten), else None (and it stays)."""
    state = session.get(KEY)
    if not isinstance(state, dict) or state.get("kind") not in kinds:
        return None
    session.pop(KEY, None)
    return state


def summary_vars(errors: dict[str, str]) -> dict[str, Any]:
    """A form template's ``error_summary`` rows and ``first_invalid`` (the field to focus, or "")."""
    return form_summary(errors, LABELS, IDS)
