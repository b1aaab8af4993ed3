"""Addon settings, stored by WHMCS's rules.

* config fields: a ``yesno`` is stored ``on`` or ``""``; a field missing from the submitted form
  gets its Default; values are trimmed; a ``password`` left as the mask keeps its stored value
  and is stored encrypted; every change goes to the activity log (secrets never shown).
* the addon's own keys (``set_private``), for state it keeps between requests.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Callable, Mapping, Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hostsim.db import read_cache
from hostsim.db.models import AddonModule, AddonSetting
from hostsim.db.on_commit import on_commit
from hostsim.plugins.types import ConfigField

if TYPE_CHECKING:
    from hostsim.crypto import SecretBox
    from hostsim.host import Host

#: What a password field shows instead of its value; submitting it back means "unchanged".
PASSWORD_MASK = "\u2022" * 8
RESERVED = frozenset({"version", "access"})



class _StoredRow(Protocol):
    value: str
    encrypted: bool


def write_setting_row(secrets: "SecretBox", row: _StoredRow | None, value: str, secret: bool,
                      add: Callable[[str, bool], None]) -> tuple[bool, str | None]:
    """Store ``value`` in a settings row (addon or gateway), encrypted when ``secret`` and not empty;
    ``add(stored, encrypted)`` makes the row when there is none. Returns whether anything was
    written and the old plain value (None when there was no row)."""
    old = (secrets.decrypt(row.value) if row.encrypted and row.value else row.value) if row else None
    if old == value:
        return False, old
    stored = secrets.encrypt(value) if secret and value else value
    if row is None:
        add(stored, secret and bool(value))
    else:
        row.value, row.encrypted = stored, secret and bool(value)
    return True, old

class AddonNotActive(RuntimeError):
    pass


def normalise_field(field: ConfigField, submitted: Mapping[str, str]) -> str | None:
    """The value to store for ``field`` given a submitted form; None means keep the stored one."""
    if field.type == "yesno":
        raw = submitted.get(field.key)
        if raw is None:
            return ""  # an unticked checkbox is absent from a form
        return "on" if raw.strip().lower() in ("on", "yes", "1", "true") else ""
    if field.key not in submitted:
        return field.default
    value = submitted[field.key].strip()
    if field.type == "password" and value == PASSWORD_MASK:
        return None
    if field.type in ("dropdown", "radio") and value not in field.options:
        raise ValueError(f"{field.friendly_name}: choose one of {', '.join(field.options)}")
    return value


class AddonSettingsStore:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def _rows(self, s: Session, module: str) -> dict[str, AddonSetting]:
        return {r.setting: r for r in s.scalars(select(AddonSetting).where(AddonSetting.module == module))}

    def get_all(self, module: str) -> dict[str, str]:
        """Every stored setting of ``module``, secrets decrypted, config defaults filled in (kept
        between web requests until any process writes an addon setting: hostsim.db.read_cache)."""
        return read_cache.cached(self.host.engine, ("addon_settings", id(self.host), module),
                                 lambda: self._read(module))

    def forget_cached(self, session: Session | None = None) -> None:
        """Forget this request's copies now, and again once ``session`` commits (a read between
        the write and the commit would have cached the old values)."""
        read_cache.forget(self.host.engine,
                          lambda key: isinstance(key, tuple) and key[:2] == ("addon_settings", id(self.host)))
        if session is not None:
            on_commit(session, self.forget_cached)

    def _read(self, module: str) -> dict[str, str]:
        config = self.host.addons.config(module)
        values = {f.key: f.default for f in config.fields}
        with self.host.sessions() as s:
            for key, row in self._rows(s, module).items():
                values[key] = self.host.secrets.decrypt(row.value) if row.encrypted and row.value else row.value
        return values

    def get(self, module: str, key: str, default: str = "") -> str:
        return self.get_all(module).get(key, default)

    def for_display(self, module: str) -> dict[str, str]:
        """Values safe to render in a form: passwords replaced by the mask when set."""
        config = self.host.addons.config(module)
        values = self.get_all(module)
        for field in config.fields:
            if field.type == "password":
                values[field.key] = PASSWORD_MASK if values.get(field.key) else ""
        return values

    def save_config(self, module: str, submitted: Mapping[str, str], *, actor: str = "System",
                    session: Session | None = None) -> list[str]:
        """Store the addon's config fields from a submitted form; return the keys that changed."""
        config = self.host.addons.config(module)
        new_values: dict[str, tuple[str, bool]] = {}
        for field in config.fields:  # validate everything before writing anything
            value = normalise_field(field, submitted)
            if value is not None:
                new_values[field.key] = (value, field.type == "password")
        if session is None:
            with self.host.transaction() as s:
                return self._write(s, module, new_values, actor, {f.key: f for f in config.fields})
        return self._write(session, module, new_values, actor, {f.key: f for f in config.fields})

    def seed_defaults(self, module: str, session: Session) -> None:
        """Store every config field's Default (on activation); not logged one by one."""
        config = self.host.addons.config(module)
        rows = self._rows(session, module)
        self.forget_cached(session)
        for field in config.fields:
            if field.key not in rows:
                secret = field.type == "password" and bool(field.default)
                value = self.host.secrets.encrypt(field.default) if secret else field.default
                session.add(AddonSetting(module=module, setting=field.key, value=value, encrypted=secret))

    def set_private(self, module: str, values: Mapping[str, str], *, secret_keys: frozenset[str] = frozenset(),
                    actor: str = "System", session: Session | None = None) -> list[str]:
        """Store addon-owned keys (not config fields); ``secret_keys`` are encrypted and masked in logs."""
        for key in values:
            if key in RESERVED or not key:
                raise ValueError(f"{key!r} is reserved")
        new_values = {k: ((v or "").strip(), k in secret_keys) for k, v in values.items()}
        if session is None:
            with self.host.transaction() as s:
                return self._write(s, module, new_values, actor, {})
        return self._write(session, module, new_values, actor, {})

    def _write(self, s: Session, module: str, new_values: Mapping[str, tuple[str, bool]], actor: str,
               fields: Mapping[str, ConfigField]) -> list[str]:
        if s.get(AddonModule, module) is None:
            raise AddonNotActive(f"addon {module!r} is not active")
        rows = self._rows(s, module)
        self.forget_cached(s)
        changed = []
        for key, (value, secret) in new_values.items():
            written, old = write_setting_row(
                self.host.secrets, rows.get(key), value, secret,
                functools.partial(_add_addonsetting, s, module, key))
            if not written:
                continue
            changed.append(key)
            label = fields[key].friendly_name if key in fields else key
            shown = "changed" if secret else f"changed from {old or '(empty)'!r} to {value or '(empty)'!r}"
            self.host.activity.log(f"Addon {module}: setting {label} {shown}", actor=actor, session=s)
        return changed

    def remove_all(self, module: str, session: Session) -> None:
        self.forget_cached(session)
        session.execute(delete(AddonSetting).where(AddonSetting.module == module))


def _add_addonsetting(s: Session, owner: str, key: str, stored: str, encrypted: bool) -> None:
    s.add(AddonSetting(module=owner, setting=key, value=stored, encrypted=encrypted))
