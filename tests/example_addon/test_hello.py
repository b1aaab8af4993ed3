"""The example addon (docs/examples/hello_addon) driven through the host: activated and configured
by the command line, its page and homepage panel in the client area, its cron task, deactivation."""

from __future__ import annotations

import json
from collections.abc import Callable

from click.testing import Result
from flask import Flask
from sqlalchemy import select

from hostsim.addon_api import InvoiceStatus
from hostsim.db.models import ActivityLog, CronRun
from hostsim.host import Host
from tests.example_addon.conftest import PAGE, add_client, add_invoice, html, login, pay

Cli = Callable[..., Result]


def activate(cli: Cli, host: Host, greeting: str | None = None) -> None:
    result = cli(host, "addon", "activate", "hello")
    assert result.exit_code == 0, result.output
    assert "Hello activated. Set its greeting under Configure." in result.output
    if greeting is not None:
        result = cli(host, "addon", "configure", "hello", "--set", f"greeting={greeting}")
        assert result.exit_code == 0, result.output
        assert "Saved: greeting" in result.output


def digest_runs(host: Host) -> list[CronRun]:
    with host.sessions() as s:
        return list(s.scalars(select(CronRun).where(CronRun.task_name == "HelloDigest").order_by(CronRun.id)))


def activity(host: Host) -> list[str]:
    with host.sessions() as s:
        return list(s.scalars(select(ActivityLog.description).order_by(ActivityLog.id)))


def test_installed_but_inactive_it_shows_nothing(hello_host: Host, app: Flask, cli: Cli) -> None:
    listing = cli(hello_host, "addon", "list")
    assert listing.exit_code == 0, listing.output
    line = next(row for row in listing.output.splitlines() if row.startswith("hello "))
    assert line.split()[1:4] == ["Hello", "1.0.0", "no"]
    assert app.test_client().get(PAGE).status_code == 404
    result = cli(hello_host, "cron", "do", "--HelloDigest")
    assert result.exit_code == 2 and "no such cron task" in result.stderr


def test_activation_stores_the_default_greeting(hello_host: Host) -> None:
    assert hello_host.lifecycle.activate("hello").status == "success"
    assert hello_host.addon_api.addon_settings.get_all("hello") == {"greeting": "Hello"}
    assert hello_host.lifecycle.stored_version("hello") == "1.0.0"
    assert "Addon hello 1.0.0 activated" in activity(hello_host)


def test_page_greets_a_visitor_with_the_configured_greeting(hello_host: Host, app: Flask, cli: Cli) -> None:
    activate(cli, hello_host, greeting="Howdy")
    answer = app.test_client().get(PAGE)
    assert answer.status_code == 200
    page = html(answer)
    assert '<section class="card" id="hello-addon">' in page  # the addon's own template
    assert '<p class="hello-greeting">Howdy, visitor!</p>' in page
    assert '<a href="/login">Log in</a> to see how your account stands.' in page
    assert '<h1 class="page-title">Hello</h1>' in page  # inside the theme's client-area layout


def test_page_greets_a_client_by_name_with_the_unpaid_count(hello_host: Host, app: Flask, cli: Cli) -> None:
    activate(cli, hello_host, greeting="Howdy")
    ada = add_client(hello_host, "ada@example.com", "Ada")
    add_invoice(hello_host, ada)
    browser = app.test_client()
    login(browser, "ada@example.com")
    answer = browser.get(PAGE)
    assert answer.status_code == 200
    page = html(answer)
    assert '<p class="hello-greeting">Howdy, Ada!</p>' in page
    assert '<p class="hello-unpaid">You have 1 unpaid invoice.</p>' in page
    assert "visitor" not in page


def test_greeting_is_escaped(hello_host: Host, app: Flask, cli: Cli) -> None:
    activate(cli, hello_host, greeting="<b>Hi</b>")
    page = html(app.test_client().get(PAGE))
    assert "&lt;b&gt;Hi&lt;/b&gt;, visitor!" in page and "<b>Hi</b>" not in page


def test_homepage_panel(hello_host: Host, app: Flask, cli: Cli) -> None:
    grace = add_client(hello_host, "grace@example.com", "Grace")
    add_invoice(hello_host, grace)
    add_invoice(hello_host, grace)
    browser = app.test_client()
    login(browser, "grace@example.com")
    assert 'data-name="Hello"' not in html(browser.get("/clientarea"))  # not active yet

    activate(cli, hello_host, greeting="Good morning")
    home = html(browser.get("/clientarea"))
    panel = home[home.index('<section class="panel" data-name="Hello">'):]
    panel = panel[:panel.index("</section>")]
    assert "<h2>Hello</h2>" in panel and '<span class="badge">2</span>' in panel
    assert '<div class="hello-panel">' in panel and "<p>Good morning, Grace!</p>" in panel
    assert "2 unpaid invoices waiting." in panel
    assert '<a href="/index.php?m=hello">Open the Hello page</a>' in panel


def test_hello_digest_counts_clients_with_an_unpaid_invoice(hello_host: Host, cli: Cli) -> None:
    activate(cli, hello_host)
    owing = add_client(hello_host, "owing@example.com", "Owen")
    add_invoice(hello_host, owing)
    add_invoice(hello_host, owing)  # two unpaid invoices: still one client
    settled = add_client(hello_host, "settled@example.com", "Sally")
    pay(hello_host, add_invoice(hello_host, settled))  # paid: not counted
    drafted = add_client(hello_host, "new@example.com", "Nina")
    add_invoice(hello_host, drafted, InvoiceStatus.DRAFT)  # a draft is not yet owed

    result = cli(hello_host, "cron", "do", "--HelloDigest", "--today", "2026-08-01", "-v")
    assert result.exit_code == 0, result.output
    message = "Hello digest 2026-08-01: 1 of 3 client(s) have an unpaid invoice"
    assert message in result.stdout
    assert "HelloDigest: success" in result.stdout
    (run,) = digest_runs(hello_host)
    assert run.status == "success" and run.as_of.isoformat() == "2026-08-01"
    assert json.loads(run.counters) == {"clients": 3, "unpaid": 1}
    assert activity(hello_host)[-1] == message

    listing = cli(hello_host, "cron", "list")
    line = next(row for row in listing.stdout.splitlines() if row.startswith("HelloDigest"))
    assert "hello" in line and "success" in line and "unpaid=1" in line


def test_deactivation_removes_page_panel_task_and_greeting(hello_host: Host, app: Flask, cli: Cli) -> None:
    activate(cli, hello_host, greeting="Howdy")
    add_client(hello_host, "ada@example.com", "Ada")
    browser = app.test_client()
    login(browser, "ada@example.com")
    assert browser.get(PAGE).status_code == 200
    assert cli(hello_host, "cron", "do", "--HelloDigest").exit_code == 0

    result = cli(hello_host, "addon", "deactivate", "hello")
    assert result.exit_code == 0, result.output
    assert "Hello deactivated; its greeting was removed." in result.output
    assert browser.get(PAGE).status_code == 404
    assert app.test_client().get(PAGE).status_code == 404
    assert 'data-name="Hello"' not in html(browser.get("/clientarea"))
    result = cli(hello_host, "cron", "do", "--HelloDigest")
    assert result.exit_code == 2 and "no such cron task" in result.stderr
    assert "HelloDigest" not in cli(hello_host, "cron", "list").stdout
    assert len(digest_runs(hello_host)) == 1  # the run before deactivating, and no other

    # Activated again, it starts from the default greeting.
    activate(cli, hello_host)
    assert "Hello, visitor!" in html(app.test_client().get(PAGE))
