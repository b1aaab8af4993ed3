"""The one check of submitted text, for every form and query string of the web application.

Before any view runs (host pages and addon pages alike), every field of a submitted form (its
name and its value) and every query-string argument passes :func:`text_problem`. The first value
that fails answers 400 with the error page of its area, naming the field in words ("First name
contains a character that is not allowed"); the view never runs, so nothing is saved.

Refused everywhere:

* C0 control characters (U+0000 to U+001F), except tab, line feed and carriage return in a
  multi-line field (a ``<textarea>``) declared in the registry below;
* DEL (U+007F) and the C1 control characters (U+0080 to U+009F);
* lone surrogates, and U+FFFD (what the server decodes a multipart field's invalid UTF-8 to);
* percent-encoded bytes that are not UTF-8 (``%FF``, ``%ED%A0%80``), found in the raw body of an
  URL-encoded form and in the raw query string.

Anything else is allowed (any script, emoji, spaces); each form still checks what its fields
mean (an email address, a number).

The registry of field names: :data:`HOST_LABELS` names the host's fields in words;
:func:`declare_fields` adds an addon's (``hostsim.addon_api.web.declare_form_fields``), which
apply to its admin page, its client-area page and its blueprint. Multi-line fields are the
addons' ``textarea`` settings on the Addon Modules page, the gateways' on the Payment Gateways
page, and those an addon declares.

Token-authenticated JSON APIs (blueprints marked with ``csrf_exempt_blueprint``) are skipped: they
take no form and answer their own errors in JSON. The command line uses :func:`text_problem` too.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from flask import Flask, Request, request
from werkzeug.wrappers import Response

from hostsim.services.host_settings import SETTING_LABELS

#: Characters no single-line value may hold.
_REFUSED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")
#: Characters no multi-line value may hold: the same, less tab, line feed and carriage return.
_REFUSED_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffd]")

#: The host's form fields and query-string arguments, in the words its pages use.
HOST_LABELS: dict[str, str] = {
    # client area: register, login, account details
    "first_name": "First name", "last_name": "Last name", "company": "Company", "email": "Email address",
    "password": "Password", "currency": "Currency",
    # admin login; General Settings in the settings service's words
    "username": "Username", **SETTING_LABELS,
    "address": "Address",
    # Contact Us ("website" is the field only robots fill in)
    "name": "Your name", "subject": "Subject", "message": "Message", "website": "Website",
    # changing a password (admin profile, client account details)
    "current_password": "Current password", "new_password": "New password", "confirm_password": "Confirm new password",
    # invoices: Add Payment
    "amount": "Amount", "gateway": "Payment method", "transaction_id": "Transaction ID",
    # invoices: Refund
    "payment_id": "Payment", "method": "Refund method", "request_key": "The form's submission key",
    # Addon Modules
    "access_role": "Access Control",
    # Payment Gateways, Gateway Log, a client's credit
    "display_name": "Display Name", "order": "Order", "currencies": "Currencies", "clear": "Remove the stored secret",
    "outcome": "Outcome", "reason": "Reason", "direction": "Add or remove",
    # every form
    "csrf_token": "The form's security token",
    # query strings
    "next": "The page to go to after login", "q": "Search", "page": "Page number", "status": "Status",
    "configure": "Addon", "module": "Addon", "m": "Addon",
}
#: The host's multi-line fields (textareas): line breaks and tabs are allowed in them.
HOST_MULTILINE = frozenset({"company_address", "address", "message"})
URLENCODED = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
#: The prefix of an addon setting's field on the Addon Modules page (``cfg_<key>``).
CONFIG_FIELD_PREFIX = "cfg_"
#: Where an addon's blueprint is mounted (``/modules/addons/<module>/...``).
ADDON_MOUNT_PREFIX = "/modules/addons/"


#: An addon's labels: a mapping, or a function of the field name (None: not one of its names).
Labels = Mapping[str, str] | Callable[[str], "str | None"]


@dataclass(frozen=True)
class FieldNames:
    """Field names of one addon's forms: their labels, and which are multi-line."""

    labels: Callable[[str], "str | None"] = lambda _name: None
    multiline: frozenset[str] = frozenset()


_addon_fields: dict[str, FieldNames] = {}
_lock = threading.Lock()


def declare_fields(module: str, labels: Labels, multiline: Iterable[str] = ()) -> None:
    """Name the form fields of addon ``module`` in words (a mapping, or a function of the field
    name), and list its multi-line fields. Declaring again replaces the earlier declaration."""
    lookup = labels if callable(labels) else dict(labels).get
    with _lock:
        _addon_fields[module] = FieldNames(lookup, frozenset(multiline))


def declared_fields(module: str) -> FieldNames:
    """What addon ``module`` declared (nothing, when it declared nothing)."""
    return _addon_fields.get(module, FieldNames())


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why ``value`` is refused ("a control character (U+0000)"), or None when it is allowed."""
    match = (_REFUSED_MULTILINE if multiline else _REFUSED).search(value)
    if match is None:
        return None
    code = ord(match.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X})"
    if code == 0xFFFD:
        return "the replacement character (U+FFFD) that invalid UTF-8 leaves"
    return f"a control character (U+{code:04X})"


def humanise(name: str) -> str:
    """A field name in words when nobody named it: ``first_name`` -> "First name"."""
    words = " ".join(name.replace("_", " ").replace("-", " ").split())
    return (words[:1].upper() + words[1:]) if words else "A field"


@dataclass(frozen=True)
class Refusal:
    """The first value a request may not carry: where it is and what the field is called."""

    name: str
    label: str
    in_query: bool
    why: str

    @property
    def message(self) -> str:
        where = " in the page address" if self.in_query else ""
        again = ("Correct the link and open it again." if self.in_query
                 else "Nothing was saved: go back, correct the field and send the form again.")
        return f"{self.label}{where} contains a character that is not allowed ({self.why}). {again}"


def _pairs(raw: bytes) -> Iterator[tuple[bytes, bytes]]:
    """``name=value`` pairs of a query string or URL-encoded body, percent-decoded to bytes."""
    for chunk in raw.split(b"&"):
        if not chunk:
            continue
        name, _, value = chunk.partition(b"=")
        yield unquote_to_bytes(name.replace(b"+", b" ")), unquote_to_bytes(value.replace(b"+", b" "))


def _undecodable(raw: bytes) -> str | None:
    """The name (decoded leniently) of the first field whose name or value is not UTF-8, or None."""
    for name, value in _pairs(raw):
        try:
            name.decode("utf-8")
            value.decode("utf-8")
        except UnicodeDecodeError:
            return name.decode("utf-8", "replace")
    return None


class _Names:
    """Labels and multi-line fields for the current request: the host's, the addon's whose page
    this is, and the settings of the addon being configured on the Addon Modules page."""

    def __init__(self) -> None:
        self.labels: dict[str, str] = dict(HOST_LABELS)
        self.multiline: set[str] = set(HOST_MULTILINE)
        self.addon_label: Callable[[str], str | None] = FieldNames().labels
        module = self._module()
        if module:
            declared = declared_fields(module)
            self.addon_label = declared.labels
            self.multiline.update(declared.multiline)
            if request.endpoint == "admin.configure":
                self._config_fields(module)
        if request.endpoint == "admin.gateway_configure":
            self._gateway_fields(str((request.view_args or {}).get("name", "")))

    @staticmethod
    def _module() -> str:
        view_args = request.view_args or {}
        if isinstance(view_args.get("module"), str):
            return str(view_args["module"])
        if request.path.startswith(ADDON_MOUNT_PREFIX):
            return request.path[len(ADDON_MOUNT_PREFIX):].split("/", 1)[0]
        if request.endpoint == "admin.addon_page_php":
            return request.args.get("module", "")
        if request.endpoint == "addons.index_php":
            return request.args.get("m", "")
        return ""

    def _config_fields(self, module: str) -> None:
        from hostsim.web.context import get_host
        try:
            config = get_host().addons.config(module)
        except Exception:  # an unknown or broken addon: the view answers for it
            return
        for f in config.fields:
            self.labels[CONFIG_FIELD_PREFIX + f.key] = f.friendly_name or humanise(f.key)
            if f.type == "textarea":
                self.multiline.add(CONFIG_FIELD_PREFIX + f.key)

    def _gateway_fields(self, name: str) -> None:
        """A payment gateway's settings on the Payment Gateways page, like an addon's."""
        from hostsim.web.context import get_host
        try:
            config = get_host().gateways.config(name)
        except Exception:  # an unknown or broken gateway: the view answers for it
            return
        for f in config.fields:
            self.labels[CONFIG_FIELD_PREFIX + f.key] = f.friendly_name or humanise(f.key)
            if f.type == "textarea":
                self.multiline.add(CONFIG_FIELD_PREFIX + f.key)

    def label(self, name: str) -> str:
        try:
            declared = self.addon_label(name)
        except Exception:  # an addon's broken lookup must not take the check down
            declared = None
        return declared or self.labels.get(name) or humanise(name)


def _is_form_submission() -> bool:
    return request.method in ("POST", "PUT", "PATCH", "DELETE") and request.mimetype in (URLENCODED, MULTIPART)


def _token_api() -> bool:
    """True inside a blueprint marked as a token-authenticated JSON API."""
    from flask import current_app
    bp = current_app.blueprints.get(request.blueprint or "")
    return bool(getattr(bp, "csrf_exempt", False))


def _label(name: str) -> str:
    """``name`` in words, for the message; a name that is itself refused is not repeated."""
    if text_problem(name):
        return "A field name"
    try:
        return _Names().label(name)
    except Exception:  # the request cannot tell whose page it is: the host's words
        return HOST_LABELS.get(name) or humanise(name)


def find_refusal() -> Refusal | None:
    """The first query-string argument, then form field, that the current request may not carry."""
    if _token_api():
        return None
    # Raw bytes first: the server would decode a query string that is not UTF-8 with an error.
    bad = _undecodable(request.query_string)
    if bad is not None:
        return Refusal(bad, _label(bad), True, "invalid UTF-8")
    for name, value in request.args.items(multi=True):
        why = text_problem(name) or text_problem(value)
        if why:
            return Refusal(name, _label(name), True, why)
    if not _is_form_submission():
        return None
    if request.mimetype == URLENCODED:
        # The raw body, kept when the form was parsed (see register).
        bad = _undecodable(request.get_data(cache=True, parse_form_data=False))
        if bad is not None:
            return Refusal(bad, _label(bad), False, "invalid UTF-8")
    names = _Names()
    for name, value in request.form.items(multi=True):
        why = text_problem(name) or text_problem(value, multiline=name in names.multiline)
        if why:
            return Refusal(name, "A field name" if text_problem(name) else names.label(name), False, why)
    return None


def check_request() -> tuple[str, int] | Response | None:
    """The ``before_request`` hook: the error page for a refused value, else None (carry on)."""
    refusal = find_refusal()
    if refusal is None:
        return None
    from hostsim.web.errors import render_error
    return render_error(400, "Invalid Input", refusal.message)


def _keeping_raw_forms(base: type[Request]) -> type[Request]:
    """``base`` keeping the raw body of an URL-encoded form when parsing it, so the check can
    read the bytes (non-UTF-8 ones) after the CSRF guard has parsed the form."""

    class RawFormRequest(base):  # type: ignore[valid-type,misc]
        def _load_form_data(self) -> None:
            if "form" not in self.__dict__ and self.mimetype == URLENCODED:
                self.get_data(cache=True, parse_form_data=False)
            super()._load_form_data()

    return RawFormRequest


def register(app: Flask) -> None:
    """Check every request before its view (the error handlers of :mod:`hostsim.web.errors` call
    this); before-request hooks of addon blueprints run after it."""
    if not getattr(app.request_class, "keeps_raw_forms", False):
        app.request_class = _keeping_raw_forms(app.request_class)
        app.request_class.keeps_raw_forms = True  # type: ignore[attr-defined]
    app.before_request(check_request)


__all__ = ["CONFIG_FIELD_PREFIX", "HOST_LABELS", "FieldNames", "Labels", "Refusal", "check_request", "declare_fields",
           "declared_fields", "find_refusal", "humanise", "register", "text_problem"]
