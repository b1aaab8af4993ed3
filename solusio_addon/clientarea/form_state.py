"""Post/Redirect/Get for the addon's client forms, and their error summaries.

A POST never renders a page: it keeps what the next GET must show (the outcome, the non-secret
values typed, the errors) in the session and redirects, so a refresh or Back never submits the
form again. The GET takes the state once. Passwords are never kept.
"""

from __future__ import annotations

from typing import Any

from flask import session

KEY = "solusio_form"
#: Each form field's element id and label, in the order the forms show them.
FIELD_IDS: dict[str, tuple[str, str]] = {
    "first_name": ("f-first_name", "First name"),
    "last_name": ("f-last_name", "Last name"),
    "company": ("f-company", "Company"),
    "email": ("f-email", "Email address"),
    "currency": ("f-currency", "Currency"),
    "password": ("f-password", "Password"),
    "accept_tos": ("accept-tos", "Terms of Service"),
    "accept_postpay": ("accept-postpay", "Post-Pay Terms & Conditions"),
}


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


def summary(errors: dict[str, str]) -> list[dict[str, str]]:
    """The error summary's rows (field, element id, label, message), in the form's order; the
    first is the field to focus."""
    known = [name for name in FIELD_IDS if name in errors]
    rows = [{"field": name, "id": FIELD_IDS[name][0], "label": FIELD_IDS[name][1], "message": errors[name]}
            for name in known]
    rows += [{"field": name, "id": "", "label": "", "message": text} for name, text in errors.items()
             if name not in FIELD_IDS]
    return rows


def summary_vars(errors: dict[str, str]) -> dict[str, Any]:
    """A form template's ``error_summary`` rows and ``first_invalid`` (the field to focus, or "")."""
    rows = summary(errors)
    return {"error_summary": rows, "first_invalid": rows[0]["field"] if rows else ""}
