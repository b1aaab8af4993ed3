"""Typed read and write of the addon's settings, and the validation both the web forms and the
CLI use (one function per form, each returning ``{field: message}`` errors).

Everything is stored through the host's addon settings (``set_private``); the API key, the
billing-integration secret and the proxy URL (it may carry a password) are stored encrypted. The
key and the secret are never rendered, printed or logged; the proxy URL is shown only through
``urls.mask_proxy_url`` (its password replaced by ``urls.PROXY_PASSWORD_MASK``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Iterable, Mapping

from solusio_addon.admin.urls import MAX_URL_LENGTH, PROXY_MODES, http_url_problem, mask_proxy_url, resolve_proxy_url
from solusio_addon.admin.warning_settings import WARNING_LABELS
from solusio_addon.solusio_api import DEFAULT_LOGIN_URL_TEMPLATE

if TYPE_CHECKING:
    from hostsim.addon_api import Host
    from solusio_addon.solusio_api import LimitGroup

MODULE = "solusio"

# --- stored keys ------------------------------------------------------------------------------
API_URL = "api_url"
API_KEY = "api_key"  # secret
TLS_MODE = "tls_mode"  # verify | self_signed | ca_bundle
TLS_CA_BUNDLE = "tls_ca_bundle"
LOGIN_URL_TEMPLATE = "login_url_template"
PROXY_MODE = "proxy_mode"  # environment | direct | custom
PROXY_URL = "proxy_url"  # secret (may carry user:password@); set only with proxy_mode custom
INTEGRATION_SECRET = "integration_secret"  # secret
INTEGRATION_URL = "integration_url"
CONNECTED_AT = "connected_at"
CONNECTED_AS = "connected_as"

LIMIT_GROUP_ID = "postpay_limit_group_id"
LIMIT_GROUP_NAME = "postpay_limit_group_name"
TERMS_URL = "postpay_terms_url"
GRACE_DAYS = "postpay_grace_days"
LOCK_DAYS = "postpay_lock_days"
SUSPEND_DAYS = "postpay_suspend_days"
LOOKBACK_MONTHS = "postpay_lookback_months"

SECRET_KEYS = frozenset({API_KEY, INTEGRATION_SECRET, PROXY_URL})

TLS_MODES: dict[str, str] = {
    "verify": "Verify the certificate (recommended)",
    "self_signed": "Trust a self-signed certificate (no verification)",
    "ca_bundle": "Verify against my CA bundle",
}


DEFAULT_GRACE_DAYS = 14
DEFAULT_LOCK_DAYS = 7
DEFAULT_SUSPEND_DAYS = 14
DEFAULT_LOOKBACK_MONTHS = 3
MAX_DAYS = 3650
MAX_LOOKBACK_MONTHS = 24

#: Friendly names of the post-pay form fields (the form field name is the key).
POSTPAY_LABELS: dict[str, str] = {
    "limit_group_id": "New User Limit Group",
    "terms_url": "Post-Pay Terms & Conditions",
    "grace_days": "Invoicing Grace Period",
    "lock_days": "Lock Overdue Users",
    "suspend_days": "Suspend Overdue Users",
    "lookback_months": "Invoice Look-Back",
}

#: Every field and query-string argument of the addon's forms (admin tabs, signup, enrolment) in
#: the words its pages use: the host's input check names a refused field with them.
FORM_LABELS: dict[str, str] = {
    **POSTPAY_LABELS, **WARNING_LABELS,
    # connection (the connect page and the Settings tab)
    "url": "Installation URL", "api_key": "API Key", "tls_mode": "Certificate check", "ca_bundle": "CA bundle path",
    "login_url_template": "SolusIO login URL", "proxy_mode": "Proxy", "proxy_url": "Proxy URL",
    "action": "The form's action", "test": "Test Connection",
    # the Billing tab's exempt switch, and its filters
    "client_id": "Client", "exempt": "Exempt from lock/suspend", "status": "Status filter", "page": "Page number",
    "tab": "Tab", "saved": "Saved message",
    # signup and enrolment
    "accept_tos": "Terms of Service", "accept_postpay": "Post-Pay Terms & Conditions", "token": "Signup link",
    "currency": "Currency",
}
PRICE_FIELD_PREFIX = "price_"


def form_label(name: str) -> str | None:
    """A field of the addon's forms in words; a token price field is named by its currency."""
    if name.startswith(PRICE_FIELD_PREFIX) and len(name) > len(PRICE_FIELD_PREFIX):
        return f"Token price ({name[len(PRICE_FIELD_PREFIX):]})"
    return FORM_LABELS.get(name)


@dataclass(frozen=True)
class ConnectionSettings:
    """Where SolusIO is and how to reach it. Secrets are kept out of ``repr``."""

    url: str = ""
    api_key: str = field(default="", repr=False)
    tls_mode: str = "verify"
    ca_bundle: str = ""
    login_url_template: str = DEFAULT_LOGIN_URL_TEMPLATE
    proxy_mode: str = "environment"
    proxy_url: str = field(default="", repr=False)
    integration_secret: str = field(default="", repr=False)
    integration_url: str = ""
    connected_at: str = ""
    connected_as: str = ""

    @property
    def connected(self) -> bool:
        return bool(self.url and self.api_key)

    @property
    def integration_configured(self) -> bool:
        return bool(self.integration_secret and self.integration_url)

    @property
    def verify(self) -> bool | str:
        """The ``verify`` argument of the SolusIO client."""
        if self.tls_mode == "self_signed":
            return False
        if self.tls_mode == "ca_bundle" and self.ca_bundle:
            return self.ca_bundle
        return True

    @property
    def proxy(self) -> str | None:
        """The ``proxy`` argument of the SolusIO client: None (the environment's proxy variables),
        "" (direct) or the proxy URL. An unknown mode, or custom without a URL, is the environment."""
        if self.proxy_mode == "direct":
            return ""
        if self.proxy_mode == "custom" and self.proxy_url:
            return self.proxy_url
        return None

    @property
    def proxy_shown(self) -> str:
        """The proxy URL as it may be rendered or printed: any password masked."""
        return mask_proxy_url(self.proxy_url)


@dataclass(frozen=True)
class PostPaySettings:
    limit_group_id: int | None = None
    limit_group_name: str = ""
    terms_url: str = ""
    grace_days: int = DEFAULT_GRACE_DAYS
    lock_days: int = DEFAULT_LOCK_DAYS
    suspend_days: int = DEFAULT_SUSPEND_DAYS
    lookback_months: int = DEFAULT_LOOKBACK_MONTHS

    def as_form(self) -> dict[str, str]:
        """The settings as the strings a form shows."""
        return {"limit_group_id": "" if self.limit_group_id is None else str(self.limit_group_id),
                "terms_url": self.terms_url, "grace_days": str(self.grace_days),
                "lock_days": str(self.lock_days), "suspend_days": str(self.suspend_days),
                "lookback_months": str(self.lookback_months)}


# --- reading ----------------------------------------------------------------------------------


def _int(value: str | None, default: int | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


def load_connection(host: "Host") -> ConnectionSettings:
    v = host.addon_settings.get_all(MODULE)
    proxy_mode, proxy_url = v.get(PROXY_MODE) or "environment", v.get(PROXY_URL, "")
    if proxy_mode not in PROXY_MODES or (proxy_mode == "custom" and not proxy_url):
        proxy_mode = "environment"  # what the client does with it anyway
    return ConnectionSettings(
        url=v.get(API_URL, ""), api_key=v.get(API_KEY, ""), tls_mode=v.get(TLS_MODE) or "verify",
        ca_bundle=v.get(TLS_CA_BUNDLE, ""),
        login_url_template=v.get(LOGIN_URL_TEMPLATE) or DEFAULT_LOGIN_URL_TEMPLATE,
        proxy_mode=proxy_mode, proxy_url=proxy_url if proxy_mode == "custom" else "",
        integration_secret=v.get(INTEGRATION_SECRET, ""), integration_url=v.get(INTEGRATION_URL, ""),
        connected_at=v.get(CONNECTED_AT, ""), connected_as=v.get(CONNECTED_AS, ""))


def load_postpay(host: "Host") -> PostPaySettings:
    v = host.addon_settings.get_all(MODULE)
    return PostPaySettings(
        limit_group_id=_int(v.get(LIMIT_GROUP_ID), None), limit_group_name=v.get(LIMIT_GROUP_NAME, ""),
        terms_url=v.get(TERMS_URL, ""),
        grace_days=_int(v.get(GRACE_DAYS), DEFAULT_GRACE_DAYS) or 0,
        lock_days=_int(v.get(LOCK_DAYS), DEFAULT_LOCK_DAYS) or 0,
        suspend_days=_int(v.get(SUSPEND_DAYS), DEFAULT_SUSPEND_DAYS) or 0,
        lookback_months=_int(v.get(LOOKBACK_MONTHS), DEFAULT_LOOKBACK_MONTHS) or DEFAULT_LOOKBACK_MONTHS)


# --- writing ----------------------------------------------------------------------------------


def save_connection(host: "Host", conn: ConnectionSettings, *, actor: str = "System") -> list[str]:
    """Store every connection value together (one transaction)."""
    return host.addon_settings.set_private(MODULE, {
        API_URL: conn.url, API_KEY: conn.api_key, TLS_MODE: conn.tls_mode, TLS_CA_BUNDLE: conn.ca_bundle,
        LOGIN_URL_TEMPLATE: conn.login_url_template, PROXY_MODE: conn.proxy_mode, PROXY_URL: conn.proxy_url,
        INTEGRATION_SECRET: conn.integration_secret,
        INTEGRATION_URL: conn.integration_url, CONNECTED_AT: conn.connected_at, CONNECTED_AS: conn.connected_as,
    }, secret_keys=SECRET_KEYS, actor=actor)


def save_postpay(host: "Host", pp: PostPaySettings, *, actor: str = "System") -> list[str]:
    return host.addon_settings.set_private(MODULE, {
        LIMIT_GROUP_ID: "" if pp.limit_group_id is None else str(pp.limit_group_id),
        LIMIT_GROUP_NAME: pp.limit_group_name, TERMS_URL: pp.terms_url, GRACE_DAYS: str(pp.grace_days),
        LOCK_DAYS: str(pp.lock_days), SUSPEND_DAYS: str(pp.suspend_days),
        LOOKBACK_MONTHS: str(pp.lookback_months),
    }, actor=actor)


# --- validation -------------------------------------------------------------------------------

_WHOLE = re.compile(r"[0-9]{1,6}")


def _whole_number(raw: str, label: str, *, low: int, high: int) -> tuple[int | None, str | None]:
    text = (raw or "").strip()
    if not text:
        return None, f"{label}: a value is required"
    if not _WHOLE.fullmatch(text) or not text.isascii():
        return None, f"{label}: enter a whole number of {'months' if 'Look' in label else 'days'} (0, 1, 2...)"
    value = int(text)
    if value < low or value > high:
        return None, f"{label}: enter a number from {low} to {high}"
    return value, None


def validate_postpay(submitted: Mapping[str, str], *, current: PostPaySettings,
                     limit_groups: "Iterable[LimitGroup] | None") -> tuple[PostPaySettings | None, dict[str, str]]:
    """Check the Post-Pay form. A field absent from ``submitted`` keeps its current value (the CLI
    sets only what it is given). ``limit_groups`` is None when SolusIO could not be asked: then
    only the saved group (or none) is accepted.

    Returns the new settings, or None and ``{field: message}`` (nothing to save).
    """
    values = current.as_form()
    for key in values:
        if key in submitted:
            raw = submitted[key]
            values[key] = raw if isinstance(raw, str) else ""
    errors: dict[str, str] = {}
    label = POSTPAY_LABELS

    group_id: int | None = None
    group_name = ""
    raw_group = values["limit_group_id"].strip()
    if raw_group:
        if not raw_group.isascii() or not raw_group.isdigit() or len(raw_group) > 12 or int(raw_group) < 1:
            errors["limit_group_id"] = f"{label['limit_group_id']}: choose a limit group from the list"
        else:
            group_id = int(raw_group)
            if limit_groups is None:
                if group_id != current.limit_group_id:
                    errors["limit_group_id"] = (f"{label['limit_group_id']}: SolusIO cannot be reached to check this "
                                                "limit group; the saved one is kept. Try again when SolusIO answers.")
                group_name = current.limit_group_name
            else:
                names = {g.id: g.name for g in limit_groups}
                if group_id not in names:
                    errors["limit_group_id"] = f"{label['limit_group_id']}: SolusIO has no limit group #{group_id}"
                else:
                    group_name = names[group_id]

    terms = values["terms_url"].strip()
    if terms:
        problem = http_url_problem(terms, label["terms_url"])
        if problem:
            errors["terms_url"] = problem

    numbers: dict[str, int] = {}
    for key in ("grace_days", "lock_days", "suspend_days"):
        number, problem = _whole_number(values[key], label[key], low=0, high=MAX_DAYS)
        if problem:
            errors[key] = problem
        elif number is not None:
            numbers[key] = number
    months, problem = _whole_number(values["lookback_months"], label["lookback_months"], low=1,
                                    high=MAX_LOOKBACK_MONTHS)
    if problem:
        errors["lookback_months"] = problem
    if "lock_days" in numbers and "suspend_days" in numbers and numbers["suspend_days"] < numbers["lock_days"]:
        errors["suspend_days"] = (f"{label['suspend_days']}: suspension ({numbers['suspend_days']} days) cannot come "
                                  f"before locking ({numbers['lock_days']} days); enter {numbers['lock_days']} or more")
    if errors:
        return None, errors
    assert months is not None
    return PostPaySettings(limit_group_id=group_id, limit_group_name=group_name, terms_url=terms,
                           grace_days=numbers["grace_days"], lock_days=numbers["lock_days"],
                           suspend_days=numbers["suspend_days"], lookback_months=months), {}


def validate_connection_input(url: str, api_key: str | None, *, tls_mode: str, ca_bundle: str,
                              login_url_template: str, stored: ConnectionSettings, proxy_mode: str | None = None,
                              proxy_url: str | None = None) -> tuple[ConnectionSettings | None, dict[str, str]]:
    """Check what the admin typed in a connection form (before any network call).

    ``api_key`` None or empty reuses the stored key (the Settings panel never shows it back).
    ``proxy_mode`` None keeps the stored proxy setting; ``proxy_url`` (with mode custom) None keeps
    the stored URL, and the stored URL as masked by ``mask_proxy_url`` keeps it too.
    """
    errors: dict[str, str] = {}
    url = (url or "").strip().rstrip("/")
    if not url:
        errors["url"] = "Installation URL: a value is required"
    else:
        problem = http_url_problem(url, "Installation URL")
        if problem:
            errors["url"] = problem
    key = (api_key or "").strip()
    if not key:
        key = stored.api_key
        if not key:
            errors["api_key"] = "API Key: a value is required (SolusIO: Account > API Tokens > Generate API Token)"
    elif len(key) > 4096 or any(c.isspace() or not c.isprintable() for c in key):
        errors["api_key"] = "API Key: paste the token exactly, without spaces"
    mode = (tls_mode or "verify").strip()
    bundle = (ca_bundle or "").strip()
    if mode not in TLS_MODES:
        errors["tls_mode"] = "Certificate check: choose one of the options"
    elif mode == "ca_bundle":
        if not bundle:
            errors["ca_bundle"] = "CA bundle: give the path of a PEM file"
        elif not os.path.isfile(bundle):
            errors["ca_bundle"] = f"CA bundle: no file at {bundle!r}"
    else:
        bundle = ""
    template = (login_url_template or "").strip() or DEFAULT_LOGIN_URL_TEMPLATE
    if "{token}" not in template:
        errors["login_url_template"] = "SolusIO login URL: must contain {token}"
    elif len(template) > MAX_URL_LENGTH:
        errors["login_url_template"] = f"SolusIO login URL: use at most {MAX_URL_LENGTH} characters"
    else:
        try:
            sample = template.format(url="https://solus.example.com", token="t")
        except (KeyError, IndexError, ValueError):
            sample = ""
            errors["login_url_template"] = "SolusIO login URL: only {url} and {token} may appear in braces"
        if sample and http_url_problem(sample, "SolusIO login URL"):
            errors["login_url_template"] = "SolusIO login URL: must give an http(s) URL, e.g. {url}/auth/by-token?token={token}"
    proxy_choice = stored.proxy_mode if proxy_mode is None else (proxy_mode if isinstance(proxy_mode, str) else "").strip()
    proxy = ""
    if proxy_choice not in PROXY_MODES:
        errors["proxy_mode"] = "Proxy: choose one of the options"
    elif proxy_choice == "custom":
        raw_proxy = stored.proxy_url if proxy_url is None else (proxy_url if isinstance(proxy_url, str) else "")
        proxy, problem = resolve_proxy_url(raw_proxy, stored.proxy_url)
        if problem:
            errors["proxy_url"] = problem
    if errors:
        return None, errors
    return replace(stored, url=url, api_key=key, tls_mode=mode, ca_bundle=bundle, login_url_template=template,
                   proxy_mode=proxy_choice, proxy_url=proxy), {}
