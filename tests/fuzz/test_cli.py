"""Every ``hostsim`` command that takes user input (the host's and the SolusIO addon's), fed
arbitrary text: exit 0, 1 or 2 only, never a traceback, and what a command saves is saved whole
or not at all."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import strategies as st
from sqlalchemy import select

import solusio_addon.plugin
from hostsim.db.models import ActivityLog, Admin, AdminRole, Client, CreditEntry, Gateway, GatewaySetting, HostSetting
from hostsim.host import Host
from hostsim.money import parse_decimal
from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.services.bootstrap import create_admin
from hostsim.services.clients import create_client
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.warning_settings import load_warnings
from solusio_sim import SimServer
from tests.fake_addons import SERVICE_FIELDS, FakeAddon
from tests.fuzz.conftest import Tally, fuzzing, snapshot, unchanged, whole
from tests.fuzz.harness import run_cli
from tests.fuzz.strategies import arbitrary_text, field_value, form_values, number_text, whole_or_part

ids = st.one_of(st.sampled_from(["1", "2", "99999999999999999999", str(2**31), "-1", "0", "abc", ""]), arbitrary_text)
days = st.one_of(st.sampled_from(["2026-08-01", "0001-01-01", "9999-12-31", "2026-02-30", "26-08-01"]), arbitrary_text)
months = st.one_of(st.sampled_from(["2026-07", "26-7", "0001-01", "9999-12", "2026-13"]), arbitrary_text)


@pytest.fixture
def host(make_host: Callable[..., Host]) -> Host:
    remote = FakeAddon("remote", fields=SERVICE_FIELDS, cli=True)
    host = make_host(("remote", remote))
    assert host.lifecycle.activate("remote").status != "error"
    return host


@pytest.fixture(autouse=True)
def _no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    import waitress
    monkeypatch.setattr(waitress, "serve", lambda *args, **kwargs: None)  # never serve for real


# --- the host's commands --------------------------------------------------------------------------------


def check_admin_create(host: Host, tally: Tally, data: st.DataObject) -> None:
    username = data.draw(field_value("sally"), label="username")
    email = data.draw(field_value("sally@example.com"), label="email")
    role = data.draw(st.one_of(st.sampled_from(["Full Administrator", "Sales Operator"]), arbitrary_text), label="role")
    password = data.draw(st.one_of(st.none(), field_value("Correct-Horse-9")), label="password")
    before = snapshot(host, Admin)
    args = ["admin", "create", username, "--email", email, "--role", role]
    if password is not None:
        args.append("--password-stdin")
    result = run_cli(tally, host, args, input=None if password is None else password + "\n")
    what = f"hostsim {args!r}"
    if result.exit_code != 0:
        return unchanged(tally, what, before, snapshot(host, Admin))
    with host.sessions() as s:
        admin = s.scalars(select(Admin).where(Admin.username == username.strip())).first()
        role_name = s.get(AdminRole, admin.role_id).name if admin is not None else None
    whole(tally, what, {} if admin is not None and role_name is not None and role_name.lower() == role.strip().lower()
          else {"admin": username})
    run_cli(tally, host, ["admin", "list"])


SETTING_KEYS = ["company_name", "theme", "tos_url", "mail_from", "smtp_host", "smtp_port", "smtp_security",
                "smtp_username", "admin_session_idle_minutes", "client_session_lifetime_minutes", "company_address",
                "invoice_reminder_days", "overdue_first_days", "overdue_third_days"]


def check_settings_set(host: Host, tally: Tally, data: st.DataObject) -> None:
    pairs_strategy = st.lists(st.tuples(st.one_of(st.sampled_from(SETTING_KEYS), arbitrary_text), arbitrary_text), max_size=3)
    pairs = data.draw(pairs_strategy, label="pairs")
    password = data.draw(st.one_of(st.none(), arbitrary_text), label="password")
    before = snapshot(host, HostSetting)
    args = ["settings", "set", *(f"{k}={v}" for k, v in pairs)]
    if password is not None:
        args.append("--smtp-password-stdin")
    result = run_cli(tally, host, args, input=password)
    what = f"hostsim {args!r}"
    if result.exit_code != 0:
        return unchanged(tally, what, before, snapshot(host, HostSetting))
    stored = host.settings.all()
    expected = {k.strip(): v.strip() for k, v in pairs}
    expected = {k: (str(int(v)) if k.endswith(("_minutes", "_days")) else v) for k, v in expected.items()}
    if "company_address" in expected:  # kept as trimmed lines, blank ones dropped
        expected["company_address"] = "\n".join(
            line.strip() for line in expected["company_address"].split("\n") if line.strip())
    whole(tally, what, {k: (v, stored.get(k)) for k, v in expected.items() if stored.get(k) != v})
    run_cli(tally, host, ["settings", "show"])


def check_addon_commands(host: Host, tally: Tally, data: st.DataObject) -> None:
    name = data.draw(field_value("remote"), label="name")
    access = data.draw(st.one_of(st.none(), field_value("Full Administrator")), label="access")
    pairs_strategy = st.lists(st.tuples(st.sampled_from(["url", "enabled", "region", "grace_days", "nope"]), arbitrary_text), max_size=2)
    pairs = data.draw(pairs_strategy, label="pairs")
    secret = data.draw(st.one_of(st.none(), arbitrary_text), label="secret")
    verb = data.draw(st.sampled_from(["configure", "configure", "activate", "deactivate"]), label="verb")
    args = ["addon", verb, name]
    if verb == "configure":
        if access is not None:
            args += ["--access", access]
        for key, value in pairs:
            args += ["--set", f"{key}={value}"]
        if secret is not None:
            args += ["--set-secret", "api_key"]
    run_cli(tally, host, args, input=secret)
    if verb == "deactivate" and name == "remote":
        host.lifecycle.activate("remote")
    run_cli(tally, host, ["addon", "list"])


def check_init(host: Host, tally: Tally, data: st.DataObject) -> None:
    username = data.draw(field_value("first"), label="username")
    email = data.draw(field_value("first@example.com"), label="email")
    run_cli(tally, host, ["init", "--admin-username", username, "--admin-email", email])


def check_cron(host: Host, tally: Tally, data: st.DataObject) -> None:
    verb = data.draw(st.sampled_from(["do", "all", "skip"]), label="verb")
    task = data.draw(st.one_of(st.sampled_from(["PruneLoginFailures", "DeliverQueuedMail"]), arbitrary_text), label="task")
    today = data.draw(st.one_of(st.none(), days), label="today")
    name = data.draw(field_value("PruneLoginFailures"), label="name")
    other = data.draw(st.sampled_from(["enable", "disable", "unlock"]), label="other")
    args = ["cron", verb]
    if verb != "all":
        args.append(f"--{task}")
    if today is not None:
        args += ["--today", today]
    run_cli(tally, host, args)
    run_cli(tally, host, ["cron", other, name])


def check_serve(host: Host, tally: Tally, data: st.DataObject) -> None:
    bind = data.draw(st.one_of(st.sampled_from(["127.0.0.1", "localhost", "::1", "0.0.0.0"]), arbitrary_text), label="bind")
    port = data.draw(st.one_of(st.sampled_from(["0", "1", "65535", "65536", "8080"]), arbitrary_text), label="port")
    threads = data.draw(st.one_of(st.sampled_from(["1", "257", "8"]), arbitrary_text), label="threads")
    public = data.draw(st.booleans(), label="public")
    args = ["serve", "--host", bind, "--port", port, "--threads", threads] + (["--public"] if public else [])
    run_cli(tally, host, args)


# --- hostsim solusio ----------------------------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        server.state.add_limit_group("Starter", vms=2)
        yield server


@pytest.fixture
def solusio_host(make_host: Callable[..., Host], sim: SimServer) -> Host:
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    addon_settings.save_connection(host.addon_api, addon_settings.ConnectionSettings(
        url=sim.url, api_key=sim.admin_token, proxy_mode="direct"))
    create_admin(host, "boss", "boss@example.com", "Admin-Pass-1234")
    return host


CONNECT_OPTIONS = {"--url": "SIM", "--api-key-env": "FUZZ_KEY", "--tls": "verify", "--ca-bundle": "",
                   "--login-url-template": "{url}/auth/by-token?token={token}", "--proxy": "direct"}


def check_solusio_connect(solusio_host: Host, sim: SimServer, tally: Tally, monkeypatch: pytest.MonkeyPatch,
                          data: st.DataObject) -> None:
    """Each option valid, left out, or arbitrary: one odd option at a time gets past the others."""
    monkeypatch.setenv("FUZZ_KEY", sim.admin_token)
    options = data.draw(form_values(CONNECT_OPTIONS), label="options")
    url = options.pop("--url", "SIM")
    args = ["solusio", "connect", "--url", sim.url if url == "SIM" else url]
    for option, value in options.items():
        args += [option, value]
    run_cli(tally, solusio_host, args)
    run_cli(tally, solusio_host, ["solusio", "status", "--offline"])


POSTPAY_OPTIONS = {"--limit-group": "1", "--terms-url": "https://example.com/t", "--grace-days": "14",
                   "--lock-days": "7", "--suspend-days": "14", "--lookback-months": "2",
                   "--lock-warning-days": "3", "--suspend-warning-days": "0"}


def check_solusio_postpay_set(solusio_host: Host, tally: Tally, data: st.DataObject) -> None:
    wanted = data.draw(form_values(POSTPAY_OPTIONS), label="options")
    if not wanted:
        wanted = {"--grace-days": data.draw(arbitrary_text, label="grace_days")}
    api = solusio_host.addon_api
    before = (addon_settings.load_postpay(api), load_warnings(api))
    args = ["solusio", "postpay", "set", *(x for k, v in wanted.items() for x in (k, v))]
    result = run_cli(tally, solusio_host, args)
    after = (addon_settings.load_postpay(api), load_warnings(api))
    what = f"hostsim {args!r}"
    if result.exit_code != 0:
        return unchanged(tally, what, before, after)
    form = {**after[0].as_form(), **after[1].as_form()}
    keys = {k: k[2:].replace("-", "_") + ("_id" if k == "--limit-group" else "") for k in wanted}
    expected = {keys[k]: v.strip() for k, v in wanted.items()}
    expected = {k: (str(int(v)) if k != "terms_url" and v else v) for k, v in expected.items()}
    whole(tally, what, {k: (v, form[k]) for k, v in expected.items() if form[k] != v})
    run_cli(tally, solusio_host, ["solusio", "postpay", "show"])


def check_solusio_prices_set(solusio_host: Host, tally: Tally, data: st.DataObject) -> None:
    codes = st.one_of(st.sampled_from(["USD", "EUR", "usd", "GBP"]), arbitrary_text)
    prices_strategy = st.lists(st.tuples(codes, field_value("0.0010")), min_size=1, max_size=3)
    prices = data.draw(prices_strategy, label="prices")
    api = solusio_host.addon_api
    before = {r.code: r.price for r in pricing.active_prices(api)}
    args = ["solusio", "prices", "set", *(f"{code}={price}" for code, price in prices)]
    result = run_cli(tally, solusio_host, args)
    after = {r.code: r.price for r in pricing.active_prices(api)}
    what = f"hostsim {args!r}"
    if result.exit_code != 0:
        return unchanged(tally, what, before, after)
    last = {code.strip().upper(): price for code, price in prices}  # a code given twice: the last price
    expected = {code: abs(Decimal(price.strip())) for code, price in last.items()}
    whole(tally, what, {k: (v, after.get(k)) for k, v in expected.items() if after.get(k) != v})
    run_cli(tally, solusio_host, ["solusio", "prices", "list"])


def check_solusio_billing_commands(solusio_host: Host, tally: Tally, data: st.DataObject) -> None:
    period = data.draw(months, label="period")
    client = data.draw(st.one_of(st.none(), ids), label="client")
    dry_run = data.draw(st.booleans(), label="dry_run")
    exempt_id = data.draw(ids, label="exempt_id")
    switch = data.draw(st.sampled_from(["--on", "--off", None]), label="switch")
    status = data.draw(st.one_of(st.none(), st.sampled_from(["pending", "active", "locked", "suspended"]), arbitrary_text), label="status")
    args = ["solusio", "invoice", "--period", period] + (["--client", client] if client is not None else [])
    run_cli(tally, solusio_host, args + (["--dry-run"] if dry_run else []))
    run_cli(tally, solusio_host, ["solusio", "exempt", exempt_id] + ([switch] if switch else []))
    run_cli(tally, solusio_host, ["solusio", "enrolments"] + (["--status", status] if status is not None else []))
    reconcile_client = data.draw(st.one_of(st.none(), ids), label="reconcile_client")
    run_cli(tally, solusio_host, ["solusio", "reconcile"] + (["--client", reconcile_client] if reconcile_client
                                                             is not None else []))


def check_client_commands(host: Host, tally: Tally, data: st.DataObject) -> None:
    verb = data.draw(st.sampled_from(["close", "reopen", "currency"]), label="verb")
    client_id = data.draw(ids, label="client_id")
    extra = [data.draw(st.one_of(st.sampled_from(["EUR", "usd", "XXX"]), arbitrary_text), label="code")] \
        if verb == "currency" else []
    before = snapshot(host, Client)
    result = run_cli(tally, host, ["client", verb, client_id, *extra])
    if result.exit_code != 0:
        unchanged(tally, f"hostsim client {verb} {client_id!r}", before, snapshot(host, Client))


# --- hostsim gateway, hostsim credit ----------------------------------------------------------------------

GATEWAY_OPTIONS = {"--display-name": "Card", "--order": "3", "--currencies": "USD,EUR"}


def check_gateway_commands(host: Host, tally: Tally, data: st.DataObject) -> None:
    if host.payment_gateways.get_active("sandbox") is None:  # one active to configure; the others may be activated
        host.payment_gateways.activate("sandbox")
    verb = data.draw(st.sampled_from(["activate", "configure", "configure", "configure"]), label="verb")
    name = data.draw(st.sampled_from(["sandbox", "sandbox", "sandbox", "banktransfer", "mailin", "odd"]), label="name")
    if name == "odd":
        name = data.draw(arbitrary_text, label="odd_name")
    options = data.draw(whole_or_part(GATEWAY_OPTIONS, numbers=("--order",)), label="options")
    pairs = data.draw(st.lists(st.tuples(st.one_of(st.sampled_from(["instructions", "secret"]), arbitrary_text),
                                         field_value("Pay to IBAN XX00")), max_size=2), label="pairs")
    secret = data.draw(st.one_of(st.none(), field_value("s3cret-value")), label="secret")
    args = ["gateway", verb, name]
    if verb == "configure":
        args += [x for k, v in options.items() for x in (k, v)]
        args += [x for k, v in pairs for x in ("--set", f"{k}={v}")]
        if secret is not None:
            args += ["--secret", "secret"]
    models = (Gateway, GatewaySetting, ActivityLog)
    before = snapshot(host, *models)
    settings_before = host.payment_gateways.settings(name) if host.gateways.is_installed(name) else {}
    result = run_cli(tally, host, args, input=None if secret is None else secret + "\n")
    after = snapshot(host, *models)
    what = f"hostsim {args!r}"
    if result.exit_code != 0:
        return unchanged(tally, what, before, after)
    row = host.payment_gateways.get_active(name.strip())
    if row is None:
        raise AssertionError(tally.partial(f"{what}: exit 0, yet {name!r} is not active"))
    if verb == "activate":
        return
    stored = {"display_name": row.display_name, "order": row.sort_order, "currencies": row.currencies,
              **host.payment_gateways.settings(row.name)}
    expected: dict[str, Any] = {}
    if "--display-name" in options:
        expected["display_name"] = options["--display-name"].strip()
    if "--order" in options:
        expected["order"] = int(options["--order"].strip())
    if "--currencies" in options:
        expected["currencies"] = ",".join(sorted({c.strip().upper() for c in options["--currencies"].split(",")
                                                  if c.strip()}))
    for key, value in pairs:
        expected[key] = value.strip()
    if secret is not None:
        expected["secret"] = secret.strip() if secret.strip() != PASSWORD_MASK else settings_before.get("secret")
    whole(tally, what, {k: (v, stored.get(k)) for k, v in expected.items() if stored.get(k) != v})
    run_cli(tally, host, ["gateway", "list"])


def _ada(host: Host) -> int:
    """A client to give credit to (made on first use)."""
    with host.transaction() as s:
        found = s.scalars(select(Client.id).where(Client.email == "ada@example.com")).first()
        if found is not None:
            return found
        return create_client(s, first_name="Ada", last_name="Lovelace", email="ada@example.com",
                             password="Client-Pass-123", now=host.clock.now()).id


def check_credit_commands(host: Host, tally: Tally, data: st.DataObject) -> None:
    ada = _ada(host)
    client_id = data.draw(st.one_of(st.just(str(ada)), ids), label="client_id")
    amount = data.draw(st.one_of(st.sampled_from(["5.00", "0.5", "12"]), number_text), label="amount")
    reason = data.draw(field_value("Goodwill"), label="reason")
    remove = data.draw(st.booleans(), label="remove")
    args = ["credit", "add", client_id, amount, "--reason", reason] + (["--remove"] if remove else [])
    models = (Client, CreditEntry, ActivityLog)
    before = snapshot(host, *models)
    result = run_cli(tally, host, args)
    after = snapshot(host, *models)
    what = f"hostsim {args!r}"
    run_cli(tally, host, ["credit", "show", client_id])
    if result.exit_code != 0:
        return unchanged(tally, what, before, after)
    value = parse_decimal(amount, places=4, field="AMOUNT")
    with host.sessions() as s:
        entry = s.scalars(select(CreditEntry).where(CreditEntry.client_id == ada).order_by(CreditEntry.id.desc())).first()
        balance = s.get(Client, ada).credit  # type: ignore[union-attr]
    expected = (-value if remove else value, reason.strip())
    ok = (entry is not None and (entry.amount, entry.reason) == expected and entry.balance == balance >= 0
          and len(after["credit_log"]) == len(before["credit_log"]) + 1)
    whole(tally, what, {} if ok else {"entry": (expected, entry and (entry.amount, entry.reason))})


# --- the tests: each draws a command per example ----------------------------------------------------------

HOST_COMMANDS = [check_admin_create, check_settings_set, check_addon_commands, check_init, check_cron, check_serve,
                 check_client_commands, check_gateway_commands, check_credit_commands]
SOLUSIO_COMMANDS = [check_solusio_postpay_set, check_solusio_prices_set, check_solusio_billing_commands]


@fuzzing(2 * len(HOST_COMMANDS))  # commands are cheap: twice the examples
def test_host_commands(host: Host, tally: Tally, data: st.DataObject) -> None:
    data.draw(st.sampled_from(HOST_COMMANDS), label="command")(host, tally, data)


@fuzzing(2 * (len(SOLUSIO_COMMANDS) + 1))
def test_solusio_commands(solusio_host: Host, sim: SimServer, tally: Tally, monkeypatch: pytest.MonkeyPatch,
                          data: st.DataObject) -> None:
    check = data.draw(st.sampled_from([*SOLUSIO_COMMANDS, check_solusio_connect]), label="command")
    if check is check_solusio_connect:
        check_solusio_connect(solusio_host, sim, tally, monkeypatch, data)
    else:
        check(solusio_host, tally, data)
