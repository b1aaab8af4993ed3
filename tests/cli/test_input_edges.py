"""Edges of what the command line takes: ids beyond any INTEGER column, dates and months outside
the years the host handles, control characters and bytes that are not UTF-8, a busy port. Each is
a one-line usage error naming the option (exit 2), never a traceback, and nothing is saved."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

import solusio_addon.plugin
from hostsim.cli import main
from hostsim.cli.state import MAX_ID, BadValue, HostDate, RecordId, Text
from hostsim.db.models import Admin, HostSetting
from hostsim.host import Host
from solusio_addon.billing.periods import Period, period_problem
from tests.addon_admin.conftest import template_db  # noqa: F401 (the addon's tables on server backends)

HUGE = "99999999999999999999"


def no_traceback(result: Result) -> None:
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)


def usage_error(result: Result, *fragments: str) -> str:
    no_traceback(result)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def count(host: Host, model: Any) -> int:
    with host.sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# --- the parameter types ---------------------------------------------------------------------------


def convert(kind: click.ParamType, value: Any, hint: str = "--x") -> Any:
    param = click.Option([hint]) if hint.startswith("-") else click.Argument([hint.lower()], metavar=hint)
    return kind.convert(value, param, None)


@pytest.mark.parametrize("text,expected", [("1", 1), (" 42 ", 42), (str(MAX_ID), MAX_ID), ("0007", 7), (12, 12)])
def test_record_id_takes_whole_numbers_an_integer_column_holds(text: Any, expected: int) -> None:
    assert convert(RecordId(), text) == expected


@pytest.mark.parametrize("text", ["0", "-3", str(MAX_ID + 1), HUGE, "9" * 5000, "1e3", "1.0", "", " ", "abc", "١٢",
                                  "\x00", "1\x00", True, 0, -1, 2**63])
def test_record_id_refuses_the_rest_naming_the_option(text: Any) -> None:
    with pytest.raises(BadValue) as caught:
        convert(RecordId("a client id"), text, "--client")
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("--client ")
    assert "expected a client id (a whole number from 1 to 2147483647)" in caught.value.message


def test_record_id_names_an_argument_by_its_metavar() -> None:
    with pytest.raises(BadValue, match="^CLIENT_ID 'x': expected"):
        convert(RecordId("a client id"), "x", "CLIENT_ID")


@pytest.mark.parametrize("text,expected", [("2026-08-01", date(2026, 8, 1)), ("2000-01-01", date(2000, 1, 1)),
                                           ("2199-12-31", date(2199, 12, 31)), (" 2024-02-29 ", date(2024, 2, 29))])
def test_host_date_takes_four_digit_years_from_2000_to_2199(text: str, expected: date) -> None:
    assert convert(HostDate(), text, "--today") == expected


@pytest.mark.parametrize("text,why", [("0001-01-01", "the year must be from 2000 to 2199"),
                                      ("1999-12-31", "the year must be from 2000 to 2199"),
                                      ("9999-12-31", "the year must be from 2000 to 2199"),
                                      ("26-07-01", "write the date as YYYY-MM-DD"),
                                      ("2026-7-1", "write the date as YYYY-MM-DD"),
                                      ("20260801", "write the date as YYYY-MM-DD"),
                                      ("２０２６-08-01", "write the date as YYYY-MM-DD"),
                                      ("2026-08-01\x00", "write the date as YYYY-MM-DD"),
                                      ("2026-02-30", "there is no such day"), ("2026-13-01", "there is no such day")])
def test_host_date_refuses_the_rest_naming_the_option(text: str, why: str) -> None:
    with pytest.raises(BadValue) as caught:
        convert(HostDate(), text, "--today")
    assert caught.value.message == f"--today {text!r}: {why}" or caught.value.message.startswith(f"--today {text!r}: {why}")


@pytest.mark.parametrize("text", ["a\x00b", "\udcff", "tab\there", "\x1b[31m", "\x85"])
def test_text_refuses_control_characters_and_surrogates(text: str) -> None:
    with pytest.raises(BadValue, match="contains a character that is not allowed"):
        convert(Text(), text, "USERNAME")
    assert convert(Text(), "Zoë 李 😀", "USERNAME") == "Zoë 李 😀"


# --- periods (solusio --period) ----------------------------------------------------------------------


@pytest.mark.parametrize("text", ["26-7", "26-07", "0001-01", "1999-12", "9999-12", "2026-7", "2026-00", "2026-13",
                                  "２０２６-07", "2026-07-01", "-2026-07", "2026-07\x00", ""])
def test_period_parse_is_strict(text: str) -> None:
    with pytest.raises(ValueError, match="^period: "):
        Period.parse(text)


def test_period_messages_say_what_is_wrong() -> None:
    assert period_problem("26-7") == "write the month as YYYY-MM, e.g. 2026-07"
    assert period_problem("9999-12") == "the year must be from 2000 to 2199"
    assert period_problem("0001-01") == "the year must be from 2000 to 2199"
    assert period_problem(" 2026-07 ") is None
    assert Period.parse("2199-12") == Period(date(2199, 12, 1), date(2200, 1, 1))
    assert Period.parse("2000-01").previous() == Period.month(1999, 12)


# --- hostsim solusio ---------------------------------------------------------------------------------


@pytest.fixture
def solusio_host(make_host: Callable[..., Host]) -> Host:
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    return host


def solusio(host: Host, *args: str) -> Result:
    return CliRunner().invoke(main, ["solusio", *args], obj=host)


def test_invoice_with_a_client_id_beyond_any_integer_is_a_usage_error(solusio_host: Host) -> None:
    line = usage_error(solusio(solusio_host, "invoice", "--period", "2026-07", "--client", HUGE), "--client")
    assert line == f"Error: --client '{HUGE}': expected a client id (a whole number from 1 to 2147483647)"
    usage_error(solusio(solusio_host, "invoice", "--period", "2026-07", "--client", str(MAX_ID + 1)), "--client")


def test_exempt_with_a_client_id_beyond_any_integer_is_a_usage_error(solusio_host: Host) -> None:
    usage_error(solusio(solusio_host, "exempt", HUGE, "--on"), f"CLIENT_ID '{HUGE}': expected a client id")
    # The largest id is a real id: not enrolled, and no overflow anywhere.
    usage_error(solusio(solusio_host, "exempt", str(MAX_ID), "--on"), f"CLIENT_ID {MAX_ID}: ")


@pytest.mark.parametrize("text,why", [("26-7", "write the month as YYYY-MM"), ("0001-01", "the year must be from 2000"),
                                      ("9999-12", "the year must be from 2000 to 2199")])
def test_invoice_period_is_strict(solusio_host: Host, text: str, why: str) -> None:
    usage_error(solusio(solusio_host, "invoice", "--period", text), f"--period '{text}': {why}")


# --- the host's commands -----------------------------------------------------------------------------


def test_cron_today_outside_the_years_is_a_usage_error(host: Host, cli: Callable[..., Result]) -> None:
    for day in ("0001-01-01", "9999-12-31"):
        usage_error(cli(host, "cron", "do", "--PruneLoginFailures", "--today", day), f"--today '{day}'")


@pytest.mark.parametrize("day, why", [("abc", "write the date as YYYY-MM-DD, e.g. 2026-08-01"),
                                      ("26-08-01", "write the date as YYYY-MM-DD"),
                                      ("0001-01-01", "the year must be from 2000 to 2199"),
                                      ("9999-12-31", "the year must be from 2000 to 2199"),
                                      ("2026-02-30", "there is no such day"),
                                      ("\u0662\u0660\u0662\u0666-08-01", "write the date as YYYY-MM-DD")])
def test_hostsim_today_is_read_with_the_rule_of_today(host: Host, cli: Callable[..., Result],
                                                     monkeypatch: pytest.MonkeyPatch, day: str, why: str) -> None:
    """A HOSTSIM_TODAY that ``--today`` would refuse is refused by every command, naming the variable."""
    monkeypatch.setenv("HOSTSIM_TODAY", day)
    for args in (("cron", "list"), ("cron", "do", "--PruneLoginFailures", "--today", "2026-08-01"), ("settings", "show")):
        assert usage_error(cli(host, *args)).startswith(f"Error: HOSTSIM_TODAY {day!r}: {why}")
    assert CliRunner().invoke(main, ["--help"], obj=host).exit_code == 0  # help still works


def test_a_bad_hostsim_today_at_start_leaves_the_clock_alone_and_no_host_is_built(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    from hostsim import clock as clock_module
    from hostsim.config import HostConfig

    monkeypatch.setenv("HOSTSIM_TODAY", "0001-01-01")
    monkeypatch.setattr(clock_module, "env_problem", None)
    fresh = clock_module.clock_from_env()  # what importing the module does: no exception
    assert fresh.today() == clock_module.Clock(fresh.tz).today()
    assert clock_module.env_problem == "HOSTSIM_TODAY '0001-01-01': the year must be from 2000 to 2199"
    with pytest.raises(ValueError, match="HOSTSIM_TODAY '0001-01-01': the year must be from 2000 to 2199"):
        Host(HostConfig.from_env(home=tmp_path, database_url="sqlite://"))
    monkeypatch.setenv("HOSTSIM_TODAY", " 2026-08-01 ")
    monkeypatch.setattr(clock_module, "env_problem", None)
    assert clock_module.clock_from_env().today() == date(2026, 8, 1) and clock_module.env_problem is None


def test_the_host_date_type_as_an_eager_callback_sets_nothing_when_refused() -> None:
    seen: list[date] = []

    @click.command()
    @click.option("--today", callback=lambda ctx, param, value: value and seen.append(HostDate().convert(value, param, ctx)),
                  is_eager=True)
    def cmd(today: Any) -> None:
        pass

    result = CliRunner().invoke(cmd, ["--today", "0001-01-01"])
    assert usage_error(result) == "Error: --today '0001-01-01': the year must be from 2000 to 2199"
    assert seen == []


def test_admin_create_refuses_control_characters_and_non_utf8_bytes(host: Host, cli: Callable[..., Result]) -> None:
    for args, option in [(("bo\x00ss", "--email", "b@example.com"), "USERNAME"),
                         (("\udcff", "--email", "b@example.com"), "USERNAME"),  # the byte 0xFF in argv
                         (("boss", "--email", "b@exa\x00mple.com"), "--email"),
                         (("boss", "--email", "b@example.com", "--role", "Full\tAdministrator"), "--role")]:
        usage_error(cli(host, "admin", "create", *args), option, "contains a character that is not allowed")
    assert count(host, Admin) == 0


def test_a_password_from_stdin_must_be_text(host: Host, cli: Callable[..., Result]) -> None:
    usage_error(cli(host, "admin", "create", "boss", "--email", "b@example.com", "--password-stdin",
                    input="Good-Pass-123\x00\n"), "Password on standard input", "not allowed")
    usage_error(cli(host, "admin", "create", "boss", "--email", "b@example.com", "--password-stdin",
                    input=b"Good-Pass-123\xff\n"), "Password: standard input is not UTF-8 text")
    assert count(host, Admin) == 0


def test_settings_set_refuses_control_characters_in_keys_and_values(host: Host, cli: Callable[..., Result]) -> None:
    before = count(host, HostSetting)
    usage_error(cli(host, "settings", "set", "company_name=Acme", "smtp_host=mail\x00.example.com"), "smtp_host")
    usage_error(cli(host, "settings", "set", "company\x00name=Acme"), "KEY=VALUE")
    usage_error(cli(host, "settings", "set", "company_name=Acme\nHosting"), "company_name")
    assert count(host, HostSetting) == before
    assert host.settings.get("company_name") != "Acme"


def test_addon_commands_refuse_control_characters_in_names(host: Host, cli: Callable[..., Result]) -> None:
    usage_error(cli(host, "addon", "activate", "demo\x00"), "NAME", "not allowed")
    usage_error(cli(host, "addon", "configure", "demo", "--access", "\x1b"), "--access", "not allowed")


# --- hostsim serve on a busy port ----------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


def test_serve_on_a_busy_port_is_a_clean_error_before_any_url(host: Host, cli: Callable[..., Result], busy_port: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import waitress
    monkeypatch.setattr(waitress, "serve", lambda *a, **kw: pytest.fail("serve ran on a busy port"))
    result = cli(host, "serve", "--port", str(busy_port))
    line = usage_error(result, f"--port {busy_port}: port {busy_port} is in use on 127.0.0.1:{busy_port}")
    assert "http://" not in result.stdout, result.stdout
    assert line.startswith("Error: --port")


def test_serve_on_a_free_port_prints_the_urls_then_serves(host: Host, cli: Callable[..., Result],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import waitress
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: calls.append(kw))
    result = cli(host, "serve", "--port", str(port))
    assert result.exit_code == 0, result.output
    assert f"http://127.0.0.1:{port}/admin/" in result.stdout
    assert calls == [{"host": "127.0.0.1", "port": port, "threads": 8}]


def test_serve_refuses_a_host_it_cannot_listen_on(host: Host, cli: Callable[..., Result],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import waitress
    monkeypatch.setattr(waitress, "serve", lambda *a, **kw: pytest.fail("serve ran on a refused host"))

    real = socket.getaddrinfo

    def resolve(name: Any, *args: Any, **kwargs: Any) -> Any:  # no name but loopback is looked up in a test
        if name in ("127.0.0.1", "localhost", "::1"):
            return real(name, *args, **kwargs)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    # The resolver would stop at the NUL and listen on 127.0.0.1.
    usage_error(cli(host, "serve", "--host", "127.0.0.1\x00", "--public"), "--host '127.0.0.1\\x00': not an address")
    usage_error(cli(host, "serve", "--host", "\udcff", "--public"), "--host")
    usage_error(cli(host, "serve", "--host", "no-such-name.invalid", "--public"), "--host no-such-name.invalid: not an")


# --- bytes that are not UTF-8 in the addon's options (found by the fuzz tests) -----------------------------


def test_solusio_options_with_bytes_that_are_not_utf8_are_refused(solusio_host: Host) -> None:
    # Python hands such bytes of argv over as lone surrogates: a key lookup, a URL's host name or a
    # stored terms URL raised UnicodeEncodeError or InvalidURL (a traceback) before.
    usage_error(solusio(solusio_host, "connect", "--url", "https://x.example", "--api-key-env", "\ud800"),
                "--api-key-env '\\ud800': not an environment variable name")
    for url in ("https://\udcff.example", "https://ex\u200bample.com", "https://x\x85y.example"):
        usage_error(solusio(solusio_host, "connect", "--url", url, "--api-key-env", "HOME"),
                    "Installation URL: a URL must not contain spaces or control characters")
    result = solusio(solusio_host, "postpay", "set", "--terms-url", "https://a\udcffb.example/x")
    no_traceback(result)
    assert result.exit_code == 2 and "Post-Pay Terms & Conditions: a URL must not contain" in result.stderr
    from solusio_addon.admin import settings as addon_settings
    assert addon_settings.load_postpay(solusio_host.addon_api).terms_url == ""


def test_solusio_api_key_from_stdin_must_be_utf8(solusio_host: Host) -> None:
    result = CliRunner().invoke(main, ["solusio", "connect", "--url", "https://x.example", "--api-key-stdin"],
                                obj=solusio_host, input=b"key\xff")
    usage_error(result, "--api-key-stdin: standard input is not UTF-8 text")


def test_a_bad_hostsim_trusted_proxies_is_a_usage_error_naming_it(host: Host, cli: Callable[..., Result],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOSTSIM_TRUSTED_PROXIES", "10.0.0.1, zz")
    result = cli(host, "settings", "show")
    assert usage_error(result).startswith("Error: HOSTSIM_TRUSTED_PROXIES: 'zz' is not an IP address or network")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("setting", ["smtp_port=\u00b2", "admin_session_idle_minutes=\u00b2\u00b2"])
def test_digits_outside_ascii_are_refused_in_words(host: Host, cli: Callable[..., Result], setting: str) -> None:
    result = cli(host, "settings", "set", setting)
    assert result.exit_code != 0 and "must be a" in result.output and "invalid literal" not in result.output
