"""The admin dashboard's charts: revenue per month per currency, invoices by status, the last cron
runs, and an addon's widget through ``admin_home_widgets``; every chart an inline SVG with nothing
fetched, named for screen readers, with its numbers in a data table."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from html.parser import HTMLParser

from hostsim.addon_api import AdminWidget, Chart, ChartSeries, hookimpl
from hostsim.db.models import CronRun, CronRunStatus, CronTask
from hostsim.services.bootstrap import create_admin
from hostsim.web import create_app
from tests.fake_addons import FakeAddon
from tests.web.conftest import ADMIN_PASSWORD, add_client, add_invoice, login_admin

NOW = datetime(2026, 7, 20, 9, 30, tzinfo=timezone.utc)


class Tables(HTMLParser):
    """Every <table> of a page: caption and rows (cell texts), plus each <svg>'s attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.svgs: list[dict[str, str | None]] = []
        self._cell: list[str] | None = None
        self._caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self._caption = True
        elif tag == "tr" and self.tables:
            self.tables[-1]["rows"].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []
        elif tag == "svg":
            self.svgs.append(dict(attrs))

    def handle_endtag(self, tag):
        if tag == "caption":
            self._caption = False
        elif tag in ("td", "th") and self._cell is not None:
            self.tables[-1]["rows"][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data):
        if self._caption:
            self.tables[-1]["caption"] += data
        elif self._cell is not None:
            self._cell.append(data)


def parse(html: str) -> Tables:
    page = Tables()
    page.feed(html)
    return page


def table(page: Tables, caption: str) -> list[list[str]]:
    found = [t["rows"] for t in page.tables if t["caption"].strip() == caption]
    assert found, f"no table captioned {caption!r}: {[t['caption'] for t in page.tables]}"
    return found[0]


def pay_at(host, moment: datetime, client_id: int, amount: str, *, paid: str | None = None) -> int:
    host.clock.set_now(moment)
    invoice_id = add_invoice(host, client_id, amount, due_date=moment.date() + timedelta(days=7))
    host.invoices.add_payment(invoice_id, Decimal(paid or amount), transaction_id=f"T-{invoice_id}")
    return invoice_id


def seed(host) -> None:
    usd = add_client(host, "ada@example.com")
    eur = add_client(host, "grace@example.com", "Grace", "Hopper", currency="EUR")
    pay_at(host, datetime(2025, 7, 31, 12, tzinfo=timezone.utc), usd, "99.00")  # 12 months back: not shown
    pay_at(host, datetime(2025, 8, 1, 12, tzinfo=timezone.utc), usd, "1.10")
    pay_at(host, datetime(2026, 3, 10, 12, tzinfo=timezone.utc), usd, "10.00")
    pay_at(host, datetime(2026, 3, 28, 12, tzinfo=timezone.utc), usd, "1234.55")
    pay_at(host, datetime(2026, 5, 15, 12, tzinfo=timezone.utc), eur, "7.25")
    pay_at(host, datetime(2026, 7, 2, 12, tzinfo=timezone.utc), usd, "20.00", paid="5.05")  # part paid: overdue by the 20th
    host.clock.set_now(NOW)
    add_invoice(host, usd, "3.00", invoice_date=NOW.date() - timedelta(days=8),
                due_date=NOW.date() - timedelta(days=1))  # overdue
    add_invoice(host, eur, "4.00", due_date=NOW.date())  # due today: unpaid, not overdue
    with host.transaction() as s:
        s.add(CronTask(name="InvoiceReminders", description="Reminders"))
        s.flush()
        for day, status, error in ((18, CronRunStatus.SUCCESS, ""), (19, CronRunStatus.FAILED, "SMTP refused\nTraceback..."),
                                   (20, CronRunStatus.RUNNING, "")):
            started = datetime(2026, 7, day, 8, tzinfo=timezone.utc)
            s.add(CronRun(task_name="InvoiceReminders", as_of=date(2026, 7, day), started_at=started,
                          finished_at=None if status is CronRunStatus.RUNNING else started + timedelta(minutes=2),
                          status=status, error=error))


def assert_offline_and_named(html: str, page: Tables, count: int) -> None:
    svgs = [m.group(0) for m in re.finditer(r"<svg\b.*?</svg>", html, flags=re.S)]
    assert len(svgs) == len(page.svgs) == count
    for svg, attrs in zip(svgs, page.svgs):
        assert attrs["role"] == "img"
        title_id = attrs["aria-labelledby"]
        assert title_id and re.search(rf'<title id="{title_id}">[^<]+</title>', svg)
        assert "<script" not in svg and "<image" not in svg and "<use" not in svg
        assert not re.search(r"(?:href|src)\s*=", svg), "an SVG refers to a resource"
        assert not re.search(r"https?://", svg), "an SVG names a URL"
        assert "@import" not in svg and "url(" not in svg
    assert not re.search(r"<script[^>]*\bsrc=", html)


def test_dashboard_charts_revenue_invoices_and_cron_runs(web_host, app):
    seed(web_host)
    admin = app.test_client()
    assert login_admin(admin).status_code == 302
    html = admin.get("/admin/").get_data(as_text=True)
    page = parse(html)

    usd = table(page, "Revenue per month (USD)")
    assert usd[0] == ["Month", "USD"]
    assert len(usd) == 13 and usd[1][0] == "Aug 2025" and usd[-1][0] == "Jul 2026"
    months = dict((row[0], row[1]) for row in usd[1:])
    assert months["Aug 2025"] == "$1.10"
    assert months["Mar 2026"] == "$1,244.55"  # two payments, exact
    assert months["Jul 2026"] == "$5.05" and months["Apr 2026"] == "$0.00"
    assert "$99.00" not in html  # paid 12 months back
    eur = dict((row[0], row[1]) for row in table(page, "Revenue per month (EUR)")[1:])
    assert eur["May 2026"] == "€7.25" and eur["Mar 2026"] == "€0.00"

    assert table(page, "Invoices by status")[1:] == [["Paid", "5"], ["Unpaid", "1"], ["Overdue", "2"]]

    runs = table(page, "The last cron task runs, newest first, with their outcome")[1:]
    assert [(r[0], r[1], r[-1]) for r in runs] == [
        ("InvoiceReminders", "2026-07-20", "Running"), ("InvoiceReminders", "2026-07-19", "Failed SMTP refused"),
        ("InvoiceReminders", "2026-07-18", "Success")]
    assert "Traceback" not in html

    # USD revenue, EUR revenue, invoices by status: three drawn charts, nothing fetched.
    assert_offline_and_named(html, page, 3)
    usd_svg = next(m.group(0) for m in re.finditer(r"<svg\b.*?</svg>", html, flags=re.S)
                   if "<title" in m.group(0) and "Revenue per month (USD)</title>" in m.group(0))
    assert "$1,244.55" in usd_svg and "$5.05" in usd_svg  # the bars' labels are the exact amounts
    assert re.search(r'<desc id="[^"]+">Payments received in USD in each of the last 12 months, \$1,250.70 in all.</desc>',
                     usd_svg)


def test_dashboard_without_payments_says_so(admin):
    html = admin.get("/admin/").get_data(as_text=True)
    assert "No payments received in the last 12 months." in html
    page = parse(html)
    assert table(page, "Invoices by status")[1:] == [["Paid", "0"], ["Unpaid", "0"], ["Overdue", "0"]]
    assert "Nothing to show yet." in html and "Cron has not run yet." in html
    assert_offline_and_named(html, page, 0)


class WidgetAddon(FakeAddon):
    """An addon contributing one chart widget and one HTML widget."""

    @hookimpl
    def admin_home_widgets(self, host):
        chart = Chart("Signups per week", ("W27", "W28"), (ChartSeries("Signups", (3, 12)),),
                      description="Signups in each week.", label_heading="Week")
        return [AdminWidget("Signups", chart=chart, order=5),
                AdminWidget("Notes", html='<p id="widget-notes">Two signups are waiting.</p>', order=1)]


class BrokenWidgetAddon(FakeAddon):
    @hookimpl
    def admin_home_widgets(self, host):
        raise RuntimeError("boom")


def test_an_addon_widget_is_drawn_only_while_the_addon_is_active(make_host, caplog):
    host = make_host(("widgets", WidgetAddon("widgets", fields=())), ("brokenwidgets", BrokenWidgetAddon("brokenwidgets", fields=())))
    create_admin(host, "boss", "boss@example.com", ADMIN_PASSWORD)
    admin = create_app(host).test_client()
    assert login_admin(admin).status_code == 302
    assert "Signups per week" not in admin.get("/admin/").get_data(as_text=True)  # not active yet

    for module in ("widgets", "brokenwidgets"):
        assert host.lifecycle.activate(module).status != "error"
    html = admin.get("/admin/").get_data(as_text=True)
    page = parse(html)
    assert table(page, "Signups per week") == [["Week", "Signups"], ["W27", "3"], ["W28", "12"]]
    assert html.index('id="widget-notes"') < html.index("Signups per week")  # by order
    assert_offline_and_named(html, page, 1)  # the addon's chart (no invoices: nothing to draw there)
    assert "hook admin_home_widgets of brokenwidgets" in caplog.text


def test_a_chart_escapes_what_it_is_given():
    from hostsim.web.charts import render_chart

    chart = Chart('<script>alert("t")</script>', ("<b>Jan</b>", "Feb"),
                  (ChartSeries("<i>s</i>", (1, 2), ("<u>1</u>", "2")),), description="a & b")
    html = str(render_chart(chart))
    assert "<script" not in html and "<b>" not in html and "<i>" not in html and "<u>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;Jan&lt;/b&gt;" in html and "&lt;u&gt;1&lt;/u&gt;" in html
    page = parse(html)
    assert table(page, '<script>alert("t")</script>') == [["", "<i>s</i>"], ["<b>Jan</b>", "<u>1</u>"], ["Feb", "2"]]
    assert_offline_and_named(html, page, 1)


def test_a_chart_of_counts_has_whole_numbers_on_its_axis():
    from hostsim.web.charts import _whole_number_ticks, render_chart

    counts = Chart("Invoices by status", ("Paid", "Unpaid", "Overdue"), (ChartSeries("Invoices", (3, 0, 1)),))
    assert _whole_number_ticks(counts) == [0, 1, 2, 3]
    svg = str(render_chart(counts))
    axis = re.findall(r'<g class="guides"><path[^>]*/><text[^>]*>([^<]+)</text>', svg)
    assert axis and all("." not in label for label in axis), axis
    assert _whole_number_ticks(Chart("c", ("a",), (ChartSeries("s", (17,)),))) == [0, 5, 10, 15, 20]
    money = Chart("Revenue", ("Jul",), (ChartSeries("USD", (Decimal("11.76"),)),))
    assert _whole_number_ticks(money) == []  # amounts keep pygal's own ticks
