"""The landing page keeps the token prices, the currencies and the connection between requests
(``cached_read``) and shows another process's change on its next request: a second Host over the
same database (its own engine and connections) saves prices, deactivates a currency with a plain
ORM write, or clears the connection."""

from __future__ import annotations

from sqlalchemy import event, select

import solusio_addon.plugin
from hostsim.db.models import Currency
from solusio_addon.admin import settings as addon_settings
from tests.addon_client.conftest import LANDING, set_prices

SMALL_USD = '<td>Small</td><td class="num">{}</td>'


def price_reads(host) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and "FROM mod_solusio_token_prices" in statement:
            seen.append(statement)

    event.listen(host.engine, "before_cursor_execute", record)
    return seen


def test_prices_are_kept_between_requests_and_read_again_after_a_price_saved_elsewhere(anon, addon_host, make_host):
    assert SMALL_USD.format("$0.0070") in anon.get(LANDING).get_data(as_text=True)
    reads = price_reads(addon_host)
    assert anon.get(LANDING).status_code == 200 and anon.get("/").status_code == 200
    assert reads == []
    other = make_host(("solusio", solusio_addon.plugin))
    set_prices(other, USD="0.0020")
    assert SMALL_USD.format("$0.0140") in anon.get(LANDING).get_data(as_text=True)
    assert len(reads) == 1


def test_a_currency_deactivated_elsewhere_leaves_the_signup_choice(anon, addon_host, make_host):
    assert '<option value="EUR"' in anon.get(LANDING).get_data(as_text=True)
    other = make_host(("solusio", solusio_addon.plugin))

    def set_eur_active(active: bool) -> None:
        with other.transaction() as s:  # a plain ORM write, not through a service of the addon
            s.scalars(select(Currency).where(Currency.code == "EUR")).one().active = active

    set_eur_active(False)
    try:
        html = anon.get(LANDING).get_data(as_text=True)
        assert 'id="signup-form"' in html and '<option value="EUR"' not in html
    finally:
        set_eur_active(True)  # PostgreSQL and MariaDB keep the currencies from one test to the next
    assert '<option value="EUR"' in anon.get(LANDING).get_data(as_text=True)


def test_a_connection_cleared_elsewhere_turns_the_landing_page_off(anon, addon_host, make_host):
    assert 'id="signup-form"' in anon.get(LANDING).get_data(as_text=True)
    assert "Cloud Hosting</a>" in anon.get("/").get_data(as_text=True)
    other = make_host(("solusio", solusio_addon.plugin))
    addon_settings.save_connection(other.addon_api, addon_settings.ConnectionSettings(url="", api_key=""))
    assert "Cloud hosting is not available yet" in anon.get(LANDING).get_data(as_text=True)
    assert "Cloud Hosting</a>" not in anon.get("/").get_data(as_text=True)
