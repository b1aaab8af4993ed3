"""``hostsim.addon_api.instance``: what a tool (the demo, an integration test) may rely on."""

from __future__ import annotations

import socket
from datetime import date, datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Iterator

import pytest
import requests
from sqlalchemy import select

import solusio_addon.plugin
from hostsim.addon_api import Clock, InvoiceSpec, NewItem
from hostsim.addon_api.instance import Instance, InstanceError, PortUnavailable, WebServer
from hostsim.db.models import AddonAccess, Admin, AdminRole, CronRun
from hostsim.services.passwords import verify_password

ADDONS = {"solusio": solusio_addon.plugin}


@pytest.fixture
def instance(tmp_path: Path) -> Iterator[Instance]:
    clock = Clock("UTC")
    clock.set_now(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    with Instance.create(tmp_path / "home", base_url="http://127.0.0.1:9/", clock=clock, addons=ADDONS) as made:
        yield made


def test_create_runs_init_and_makes_the_first_admin(instance: Instance, tmp_path: Path) -> None:
    assert instance.home == (tmp_path / "home").resolve() and (instance.home / "hostsim.sqlite3").exists()
    assert instance.base_url == "http://127.0.0.1:9" == instance.host.base_url
    login = instance.admin
    assert login.username == "admin" and login.password not in repr(login)
    with instance.host.sessions() as s:
        admin = s.scalars(select(Admin).where(Admin.username == "admin")).one()
        role = s.get_one(AdminRole, admin.role_id).name
    assert verify_password(admin.password_hash, login.password) and role == "Full Administrator"
    assert instance.clock.today() == date(2026, 3, 2)


def test_create_twice_in_one_folder_is_refused(instance: Instance) -> None:
    with pytest.raises(InstanceError, match="first admin"):
        Instance.create(instance.home, addons=ADDONS)


def test_settings_are_validated_all_or_nothing(instance: Instance) -> None:
    assert instance.set_settings({"company_name": "Tool Cloud"}) == ["company_name"]
    with pytest.raises(InstanceError, match="tos_url"):
        instance.set_settings({"company_name": "Other", "tos_url": "ftp://nope"})
    assert instance.host.settings.get("company_name") == "Tool Cloud"


def test_activate_addon_grants_access_and_refuses_the_unknown(instance: Instance) -> None:
    with pytest.raises(InstanceError, match="no role group"):
        instance.activate_addon("solusio", access_roles=["Nobody"])
    with pytest.raises(InstanceError, match="nosuch"):
        instance.activate_addon("nosuch")
    assert instance.activate_addon("solusio").status == "success"
    assert instance.activate_addon("solusio").status == "info"  # already active
    with instance.host.sessions() as s:
        assert list(s.scalars(select(AddonAccess.module))) == ["solusio"]


def test_payment_defaults_to_the_balance_and_emails_are_readable(instance: Instance) -> None:
    host = instance.host
    with host.transaction() as s:
        client = host.clients.register(s, first_name="Ada", last_name="L", email="ada@example.com",
                                       password="Long-enough-1!")
        s.flush()
        client_id = client.id
        [created] = host.invoices.create_many(s, [InvoiceSpec(client_id, [NewItem("Work", Decimal("12.50"))])],
                                              email=True)
    payment = instance.record_payment(created.id, transaction_id="T-1")
    assert (payment.amount, payment.paid) == (Decimal("12.50"), True)
    emails = instance.emails(to="ada@example.com")
    assert [e.subject.split(" #")[0] for e in emails] == ["Customer Invoice", "Invoice Payment Confirmation"]
    assert emails[0].id < emails[1].id and emails[0].client_id == client_id
    assert instance.emails(to="nobody@example.com") == []
    with pytest.raises(InstanceError, match="no invoice #999"):
        instance.record_payment(999)


def test_run_cron_records_runs_and_refuses_an_unknown_task(instance: Instance) -> None:
    instance.activate_addon("solusio")
    said: list[str] = []
    [run] = instance.run_cron("SolusioAutomation", today=date(2026, 4, 1), verbosity=1, echo=said.append)
    assert instance.clock.today() == date(2026, 4, 1)
    with instance.host.sessions() as s:
        row = s.get_one(CronRun, run.run_id)
    assert (run.name, row.task_name, str(row.as_of)) == ("SolusioAutomation", "SolusioAutomation", "2026-04-01")
    assert run.ok == (run.status == "success") and said
    with pytest.raises(InstanceError, match="unknown cron task"):
        instance.run_cron("NoSuchTask")


def test_serve_then_close(instance: Instance) -> None:
    web = WebServer.bind()
    assert web.loop_timeout > 0 and not web.running
    assert instance.serve(web) is web and web.running
    with requests.Session() as http:
        http.trust_env = False
        assert http.get(web.url + "/admin/login", timeout=10).status_code == 200
    instance.close()
    assert not web.running
    with pytest.raises(requests.ConnectionError):
        requests.get(web.url + "/admin/login", timeout=2)
    instance.close()  # idempotent


def test_a_busy_port_is_refused_at_bind() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(PortUnavailable, match=f"cannot listen on 127.0.0.1:{port}"):
            WebServer.bind(port)


def test_activate_gateway_stores_the_secret_encrypted_and_refuses_a_bad_setting(instance: Instance) -> None:
    from hostsim.db.models import Gateway, GatewaySetting

    assert instance.activate_gateway("sandbox", settings={"secret": "tool-secret-123"}) == "Card (Sandbox)"
    with pytest.raises(InstanceError, match="already active"):
        instance.activate_gateway("sandbox")
    with pytest.raises(InstanceError, match="no payment gateway named 'nosuch'"):
        instance.activate_gateway("nosuch")
    with pytest.raises(InstanceError, match="banktransfer"):
        instance.activate_gateway("banktransfer", settings={"no_such_setting": "x"})
    with instance.host.sessions() as s:
        assert list(s.scalars(select(Gateway.name))) == ["sandbox"]  # the refused one is not left active
        [stored] = s.scalars(select(GatewaySetting).where(GatewaySetting.setting == "secret"))
    assert stored.encrypted and "tool-secret-123" not in stored.value
    assert instance.host.payments.gateway_params("sandbox").settings["secret"] == "tool-secret-123"


def test_payments_list_gateway_payments_and_credit_with_human_names(instance: Instance) -> None:
    host = instance.host
    instance.activate_gateway("banktransfer")
    with host.transaction() as s:
        ids = []
        for email in ("ada@example.com", "bob@example.com"):
            client = host.clients.register(s, first_name="A", last_name="L", email=email, password="Long-enough-1!")
            s.flush()
            ids.append(client.id)
        created = host.invoices.create_many(s, [InvoiceSpec(i, [NewItem("Work", Decimal("12.50"))]) for i in ids])
    instance.record_payment(created[0].id, gateway="banktransfer", transaction_id="BT-1")
    host.payments.add_credit(ids[1], Decimal("20.00"), reason="Goodwill")
    assert host.payments.apply_credit(created[1].id) == Decimal("12.50")
    assert [(p.invoice_id, p.client_id, p.method, p.method_name, p.amount, p.transaction_id)
            for p in instance.payments()] == [
        (created[0].id, ids[0], "banktransfer", "Bank Transfer", Decimal("12.50"), "BT-1"),
        (created[1].id, ids[1], "credit", "Credit", Decimal("12.50"), "")]
