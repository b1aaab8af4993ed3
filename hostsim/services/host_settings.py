"""General host settings with defaults; secrets among them are stored encrypted."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.db import read_cache
from hostsim.db.models import HostSetting
from hostsim.services.automation_settings import AUTOMATION_DEFAULTS, check_days, check_order

if TYPE_CHECKING:
    from hostsim.host import Host

DEFAULTS: dict[str, str] = {
    "company_name": "Example Hosting",
    # Printed under Pay To on invoices and their PDFs (lines as typed).
    "company_address": "",
    "theme": "default",
    "tos_url": "",
    "mail_from": "billing@example.com",
    # Where the client area's Contact Us messages go; empty: the sender address above.
    "contact_email": "",
    "smtp_host": "",
    "smtp_port": "587",
    "smtp_security": "starttls",  # starttls | ssl | none
    "smtp_username": "",
    "smtp_password": "",
    # Login lifetimes in minutes (hostsim.web.sessions): a login ends when it is older than
    # the lifetime or unused for longer than the idle time, whichever comes first.
    "admin_session_lifetime_minutes": "720",  # 12 hours
    "admin_session_idle_minutes": "120",  # 2 hours
    "client_session_lifetime_minutes": "10080",  # 7 days
    "client_session_idle_minutes": "1440",  # 1 day
    # "on": a new invoice takes the client's available credit at creation (hostsim.services.credit).
    "credit_auto_apply": "",
    **AUTOMATION_DEFAULTS,
}
#: Each setting in the words of the General Settings page (its errors and the activity log).
SETTING_LABELS: dict[str, str] = {
    "company_name": "Company name", "company_address": "Company address", "theme": "Client area theme",
    "tos_url": "Terms of Service URL", "mail_from": "Sender address", "contact_email": "Contact Us address",
    "smtp_host": "SMTP host", "smtp_port": "SMTP port", "smtp_security": "SMTP security",
    "smtp_username": "SMTP username", "smtp_password": "SMTP password",
    "admin_session_lifetime_minutes": "Admin session lifetime", "admin_session_idle_minutes": "Admin idle timeout",
    "client_session_lifetime_minutes": "Client session lifetime",
    "client_session_idle_minutes": "Client idle timeout", "credit_auto_apply": "Apply credit automatically",
    "invoice_reminder_days": "Invoice payment reminder", "overdue_first_days": "First overdue notice",
    "overdue_second_days": "Second overdue notice", "overdue_third_days": "Third overdue notice",
}
#: Each area's (lifetime, idle) setting keys.
SESSION_KEYS: dict[str, tuple[str, str]] = {
    area: (f"{area}_session_lifetime_minutes", f"{area}_session_idle_minutes") for area in ("admin", "client")}
SESSION_MINUTES_MIN = 5
SESSION_MINUTES_MAX = 366 * 24 * 60
SECRET_KEYS = frozenset({"smtp_password"})
SMTP_SECURITY = ("starttls", "ssl", "none")
#: Settings that hold an email address (the sender address may not be empty).
EMAIL_KEYS = frozenset({"mail_from", "contact_email"})
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
#: The company address: at most this many characters and lines.
ADDRESS_MAX_CHARS, ADDRESS_MAX_LINES = 500, 8


def clean_address(key: str, value: str) -> str:
    """Lines trimmed, blank lines dropped, ``\n`` between them; ValueError names ``key``."""
    if any((ord(c) < 32 and c not in "\r\n\t") or 127 <= ord(c) <= 159 for c in value):
        raise ValueError(f"{key}: contains a control character")
    lines = [line.strip() for line in value.split("\n") if line.strip()]
    if len(lines) > ADDRESS_MAX_LINES:
        raise ValueError(f"{key}: at most {ADDRESS_MAX_LINES} lines")
    cleaned = "\n".join(lines)
    if len(cleaned) > ADDRESS_MAX_CHARS:
        raise ValueError(f"{key}: at most {ADDRESS_MAX_CHARS} characters")
    return cleaned


class SettingsError(ValueError):
    """Every refused setting at once: ``problems`` maps each key to its message (without the key);
    ``str()`` reads "key: message; key: message" for the command line."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{key}: {message}" for key, message in problems.items()))


def _message_of(key: str, exc: ValueError) -> str:
    text = str(exc)
    return text[len(key) + 2:] if text.startswith(f"{key}: ") else text


def _shown(value: str) -> str:
    one_line = " / ".join(value.splitlines())
    return f'"{one_line}"' if one_line else "(empty)"


def clean_value(key: str, value: str) -> str:
    """One setting's stored form; ValueError "key: problem" when it is refused."""
    if key not in DEFAULTS:
        raise ValueError(f"{key}: unknown setting")
    value = (value or "").strip()
    # ASCII digits only: "²" passes isdigit() and then int() refuses it
    if key == "smtp_port" and value and (not (value.isascii() and value.isdigit()) or not 0 < int(value) < 65536):
        raise ValueError("smtp_port: must be a port number between 1 and 65535")
    if key == "smtp_security" and value not in SMTP_SECURITY:
        raise ValueError(f"smtp_security: must be one of {', '.join(SMTP_SECURITY)}")
    if key == "tos_url" and value and not value.startswith(("http://", "https://")):
        raise ValueError("tos_url: must start with http:// or https://")
    if key in EMAIL_KEYS and (value or key == "mail_from") and (
            len(value) > 254 or not EMAIL_RE.match(value)):
        raise ValueError(f"{key}: must be an email address, like billing@example.com")
    if key == "credit_auto_apply" and value not in ("", "on"):
        raise ValueError("credit_auto_apply: must be on or empty (off)")
    if key == "company_address":
        value = clean_address(key, value)
    if key in AUTOMATION_DEFAULTS:
        value = check_days(key, value)
    if key == "theme" and (not value or not value.replace("-", "").replace("_", "").isalnum()):
        raise ValueError("theme: letters, digits, - and _ only")
    if key.endswith("_session_lifetime_minutes") or key.endswith("_session_idle_minutes"):
        if not (value.isascii() and value.isdigit()) or not SESSION_MINUTES_MIN <= int(value) <= SESSION_MINUTES_MAX:
            raise ValueError(f"{key}: must be a whole number of minutes from {SESSION_MINUTES_MIN} "
                             f"to {SESSION_MINUTES_MAX} (366 days)")
        value = str(int(value))
    return value


class HostSettings:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def all(self) -> dict[str, str]:
        # Kept between web requests until any process writes a setting (hostsim.db.read_cache).
        return read_cache.cached(self.host.engine, ("host_settings", id(self.host)), self._read)

    def _read(self) -> dict[str, str]:
        values = dict(DEFAULTS)
        with self.host.sessions() as s:
            for row in s.scalars(select(HostSetting)):
                values[row.key] = self.host.secrets.decrypt(row.value) if row.encrypted and row.value else row.value
        return values

    def forget_cached(self) -> None:
        read_cache.forget(self.host.engine, lambda key: key == ("host_settings", id(self.host)))

    def get(self, key: str) -> str:
        if key not in DEFAULTS:
            raise KeyError(f"unknown host setting {key!r}")
        return self.all()[key]

    def set_many(self, values: dict[str, str], actor: str = "System") -> list[str]:
        """Validate and store; returns the keys that changed. Nothing is saved on an error: every
        problem is reported at once (:class:`SettingsError`, each under its key)."""
        clean: dict[str, str] = {}
        problems: dict[str, str] = {}
        for key, value in values.items():
            try:
                clean[key] = clean_value(key, value)
            except ValueError as exc:
                problems[key] = _message_of(key, exc)
        current = self._read()  # the database's, not a cached copy: the change is judged against it
        merged = {**current, **clean}
        if not problems:
            for lifetime, idle in SESSION_KEYS.values():
                if int(merged[idle]) > int(merged[lifetime]):
                    problems[idle] = f"must not be longer than the {SETTING_LABELS[lifetime]}"
            try:
                check_order(merged)
            except ValueError as exc:
                key = str(exc).partition(":")[0]
                problems[key] = _message_of(key, exc)
        if problems:
            raise SettingsError(problems)
        changed = [k for k, v in clean.items() if current.get(k) != v]
        with self.host.transaction() as s:
            for key in changed:
                secret = key in SECRET_KEYS and bool(clean[key])
                stored = self.host.secrets.encrypt(clean[key]) if secret else clean[key]
                row = s.get(HostSetting, key)
                if row is None:
                    s.add(HostSetting(key=key, value=stored, encrypted=secret))
                else:
                    row.value, row.encrypted = stored, secret
            for key in changed:
                label = SETTING_LABELS.get(key, key)
                if key in SECRET_KEYS:
                    sentence = f"General Settings: {label} changed"
                else:
                    sentence = f"General Settings: {label} changed from {_shown(current.get(key, ''))} to {_shown(clean[key])}"
                self.host.activity.log(sentence, actor=actor, session=s)
        if changed:
            self.forget_cached()
        if "theme" in changed:
            self.host.templates.forget_theme()  # this process sees a new theme at once
        return changed
