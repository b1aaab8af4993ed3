"""What every ``hostsim`` command shares: the Host (built on first use), errors, secret input,
and the parameter types that read ids, dates and free text strictly."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import click
from sqlalchemy.engine import make_url

from hostsim.clock import BadDate, parse_host_date, today_from_env

if TYPE_CHECKING:
    from hostsim.config import HostConfig
    from hostsim.host import Host

#: Builds the Host from the resolved configuration; tests pass their own (see ``main``).
HostFactory = Callable[["HostConfig"], "Host"]


class CliError(click.ClickException):
    """A user error: one line on stderr, exit code 2, never a traceback."""

    exit_code = 2


def safe_url(url: str) -> str:
    """A database URL fit to print: the password part hidden."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparseable database URL)"


def _default_factory(config: "HostConfig") -> "Host":
    from hostsim.host import Host
    return Host(config)


@dataclass
class CliState:
    """``ctx.obj`` of ``hostsim``: global options and the lazily built Host."""

    home: str | None = None
    database_url: str | None = None
    factory: HostFactory = _default_factory
    _host: "Host | None" = None
    _config: "HostConfig | None" = field(default=None, repr=False)

    @classmethod
    def from_obj(cls, obj: object, home: str | None, database_url: str | None) -> "CliState":
        """``obj`` as tests pass it to ``main``: a Host, a factory ``config -> Host``, or None."""
        from hostsim.host import Host
        if isinstance(obj, CliState):
            return obj
        if isinstance(obj, Host):
            return cls(home=home, database_url=database_url, _host=obj)
        if callable(obj):
            return cls(home=home, database_url=database_url, factory=obj)
        return cls(home=home, database_url=database_url)

    @property
    def config(self) -> "HostConfig":
        if self._host is not None:
            return self._host.config
        if self._config is None:
            from hostsim.config import HostConfig
            self._config = HostConfig.from_env(home=self.home, database_url=self.database_url)
        return self._config

    @property
    def url_for_display(self) -> str:
        if self._host is not None:
            return self._host.engine.url.render_as_string(hide_password=True)
        return safe_url(self.config.database_url)

    def sqlite_file_missing(self) -> bool:
        """True for a SQLite database file that does not exist yet (connecting would create it)."""
        if self._host is not None:
            return False
        url = make_url(self.config.database_url)
        if url.get_backend_name() != "sqlite":
            return False
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return False
        return not Path(database).exists()

    def host(self, *, initialised: bool = True) -> "Host":
        """The Host; with ``initialised`` the database must exist and be migrated to the head."""
        if self._host is None:
            if initialised and self.sqlite_file_missing():
                raise CliError(f"no database at {self.url_for_display}: run 'hostsim init' first")
            try:
                self._host = self.factory(self.config)
            except OSError as exc:
                raise CliError(f"--home: cannot use {self.config.home}: {exc.strerror or exc}") from exc
        if initialised:
            self.check_initialised(self._host)
        return self._host

    def check_initialised(self, host: "Host") -> None:
        from sqlalchemy.exc import SQLAlchemyError

        from hostsim.db import migrate
        try:
            current = migrate.current_revision(host.engine)
        except SQLAlchemyError as exc:
            raise database_error(exc, self.url_for_display) from exc
        if current is None:
            raise CliError(f"the database at {self.url_for_display} is not initialised: run 'hostsim init'")
        if current != migrate.head_revision():
            raise CliError(f"the database at {self.url_for_display} needs upgrading: run 'hostsim init'")


def database_error(exc: Exception, shown_url: str) -> click.ClickException:
    """A one-line message for a database that cannot be reached or used."""
    orig = getattr(exc, "orig", None) or exc
    first = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
    return click.ClickException(f"database {shown_url}: {first}")  # exit code 1


def state(ctx: click.Context | None = None) -> CliState:
    ctx = ctx or click.get_current_context()
    obj = ctx.find_object(CliState)
    if obj is None:  # a sub-command invoked on its own (tests, addon code)
        obj = CliState()
        ctx.obj = obj
    return obj


def read_secret(what: str, *, from_env: str | None = None, stdin_line: bool = False) -> str:
    """A secret from the environment variable ``from_env`` or from stdin; never from argv.

    With ``stdin_line`` one line is read (several secrets in a row); else all of stdin, with
    its trailing newline removed. A terminal gets a hidden prompt instead.
    """
    if from_env:
        if text_problem(from_env) or "=" in from_env:
            raise CliError(f"--from-env {from_env!r}: not an environment variable name (for {what})")
        if from_env not in os.environ:
            raise CliError(f"--from-env {from_env}: no such environment variable (for {what})")
        return _secret_checked(what, os.environ[from_env], f"--from-env {from_env}")
    stream = sys.stdin
    if stream.isatty():
        return _secret_checked(what, click.prompt(what, hide_input=True), what)
    try:
        value = stream.readline() if stdin_line else stream.read()
    except UnicodeDecodeError:
        raise CliError(f"{what}: standard input is not UTF-8 text") from None
    value = value.rstrip("\r\n") if stdin_line else value.strip("\r\n")
    if not value:
        raise CliError(f"{what}: expected a value on standard input, got nothing")
    return _secret_checked(what, value, f"{what} on standard input")


def _secret_checked(what: str, value: str, where: str) -> str:
    """A secret with a control character (or bytes that are not UTF-8) is refused, never echoed."""
    problem = text_problem(value)
    if problem:
        raise CliError(f"{where}: the {what.lower()} contains a character that is not allowed ({problem})")
    return value


# --- parameter types: a bad value is a usage error naming the option, never a traceback --------

#: The largest id a row can have: what every backend's INTEGER key holds (2**31 - 1).
MAX_ID = 2**31 - 1


class BadValue(click.ClickException):
    """A refused parameter value: one line on stderr, ``--option 'value': why``, exit code 2."""

    exit_code = 2


def param_hint(param: click.Parameter | None) -> str:
    """How the user wrote the parameter: ``--client``, or an argument's metavar (``CLIENT_ID``)."""
    if param is None:
        return "value"
    if isinstance(param, click.Option) and param.opts:
        return max(param.opts, key=len)
    return param.human_readable_name


class RecordId(click.ParamType):
    """The id of a database row: a whole number from 1 to ``MAX_ID``, so that no backend refuses
    it (``99999999999999999999`` overflows every INTEGER column). ``what`` says what kind of id,
    for the message: ``--client 'abc': expected a client id (a whole number from 1 to 2147483647)``."""

    name = "id"

    def __init__(self, what: str = "an id") -> None:
        self.what = what

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number, shown = value, str(value)
        else:
            text = str(value).strip()
            number = int(text) if text.isascii() and text.isdigit() and len(text) <= len(str(MAX_ID)) else 0
            shown = repr(value)
        if not 1 <= number <= MAX_ID:
            raise BadValue(f"{param_hint(param)} {shown}: expected {self.what} (a whole number from 1 to {MAX_ID})")
        return number


class HostDate(click.ParamType):
    """A day written ``YYYY-MM-DD`` with a four-digit year from ``MIN_YEAR`` to ``MAX_YEAR``
    (``hostsim.clock.parse_host_date``: ``--today 0001-01-01`` would leave no previous day or
    month to compute with)."""

    name = "date"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            return parse_host_date(str(value))  # the rule HOSTSIM_TODAY is read with too
        except BadDate as exc:
            raise BadValue(f"{param_hint(param)} {value!r}: {exc}") from None


def check_environment() -> None:
    """CliError when ``HOSTSIM_TODAY`` is set to anything but a day ``--today`` would take, or
    ``HOSTSIM_TRUSTED_PROXIES`` names something that is no address or network."""
    try:
        today_from_env()
    except BadDate as exc:
        raise CliError(str(exc)) from None
    from hostsim.config import parse_trusted_proxies

    try:
        parse_trusted_proxies(os.environ.get("HOSTSIM_TRUSTED_PROXIES", ""))
    except ValueError as exc:
        raise CliError(str(exc)) from None


class Text(click.ParamType):
    """Free text checked as every web form checks it (``hostsim.web.forms.text_problem``): no
    control characters, no lone surrogates (the bytes of an argument that is not UTF-8)."""

    name = "text"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        problem = text_problem(text)
        if problem:
            raise BadValue(f"{param_hint(param)} {text!r}: contains a character that is not allowed ({problem})")
        return text


TEXT = Text()


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why ``text`` (a command-line value) is refused, or None: the web forms' one check."""
    from hostsim.web.forms import text_problem as check
    return check(text, multiline=multiline)


def check_text(what: str, text: str, *, multiline: bool = False) -> str:
    """``text`` when allowed; else CliError naming ``what`` (an option, an argument, a key)."""
    problem = text_problem(text, multiline=multiline)
    if problem:
        raise CliError(f"{what} {text!r}: contains a character that is not allowed ({problem})")
    return text


def print_once(label: str, secret: str) -> None:
    click.echo(f"{label} (shown only once, store it now): {secret}")


def is_tty() -> bool:
    return sys.stdout.isatty()
