"""The landing page, its prices, the menus, the theme override, and 'not enabled'."""

from __future__ import annotations

from pathlib import Path

from solusio_addon.clientarea import state
from tests.addon_client.conftest import LANDING, add_client, connect, login, set_prices


def test_not_enabled_until_connected_and_priced(bare_host, sim):
    from hostsim.web import create_app

    app = create_app(bare_host)
    anon = app.test_client()
    html = anon.get(LANDING).get_data(as_text=True)
    assert "Cloud hosting is not available yet" in html and "signup-form" not in html
    assert "Cloud Hosting</a>" not in anon.get("/").get_data(as_text=True)
    assert anon.post("/modules/addons/solusio/signup").status_code in (400, 404)

    connect(bare_host, sim)
    assert not state.postpay_enabled(bare_host.addon_api)  # connected, not priced
    set_prices(bare_host, EUR="0.0009")
    assert not state.postpay_enabled(bare_host.addon_api)  # the default currency (USD) still unpriced
    set_prices(bare_host, USD="0.0010")
    assert state.postpay_enabled(bare_host.addon_api)
    html = anon.get(LANDING).get_data(as_text=True)
    assert 'id="signup-form"' in html


def test_landing_sells_the_service_with_converted_prices(anon, addon_host):
    html = anon.get(LANDING).get_data(as_text=True)
    assert "How billing works" in html and "tokens per hour" in html and "previous month" in html
    # Small: 7 tokens/h x 0.0010 = $0.0070 per hour (four digits, as €0.0063); 5000 tokens x 0.0010 = $5.00 a month at most
    assert "<td>Small</td><td class=\"num\">$0.0070</td><td class=\"num\">$5.00</td>" in html
    assert "<td>Large</td><td class=\"num\">$0.0280</td><td class=\"num\">$20.00</td>" in html
    assert 'href="https://example.com/tos"' in html and 'href="https://example.com/postpay-terms"' in html
    euro = anon.get(LANDING + "&currency=EUR").get_data(as_text=True)
    assert "<td>Small</td><td class=\"num\">€0.0063</td><td class=\"num\">€4.50</td>" in euro


def test_logged_in_client_sees_prices_in_own_currency(app, addon_host):
    add_client(addon_host, "eve@example.com", currency="EUR")
    c = app.test_client()
    login(c, "eve@example.com")
    html = c.get(LANDING + "&currency=USD").get_data(as_text=True)
    assert "€4.50" in html and "$5.00" not in html
    assert 'id="enrol-form"' in html and 'id="signup-form"' not in html


def test_unpriced_client_currency_falls_back_to_default_with_a_note(app, addon_host):
    from solusio_addon.db.models import TokenPrice
    from tests.addon_client.conftest import currency_id
    with addon_host.transaction() as s:
        s.delete(s.get(TokenPrice, currency_id(addon_host, "EUR")))
    add_client(addon_host, "eve@example.com", currency="EUR")
    c = app.test_client()
    login(c, "eve@example.com")
    html = c.get(LANDING).get_data(as_text=True)
    assert "$5.00" in html and "Prices in EUR are not available yet" in html


def test_solusio_down_the_page_still_renders(anon, addon_host, sim):
    sim.faults.configure(error_rate=1.0, error_statuses=[503])
    response = anon.get(LANDING)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Current prices cannot be shown right now" in html and 'id="signup-form"' in html


def test_plans_are_cached(anon, addon_host, sim):
    anon.get(LANDING)
    sim.state.add_plan("Huge", tokens_per_hour=100, tokens_per_month=60000)
    assert "Huge" not in anon.get(LANDING).get_data(as_text=True)  # from the cache
    state.clear_plan_cache()
    assert "Huge" in anon.get(LANDING).get_data(as_text=True)


def test_menus(app, addon_host):
    anon = app.test_client()
    html = anon.get("/").get_data(as_text=True)
    store = html[html.index('data-name="Store"'):]
    store = store[:store.index("</details>")]
    assert 'href="/index.php?m=solusio">Cloud Hosting</a>' in store
    add_client(addon_host, "eve@example.com")
    c = app.test_client()
    login(c, "eve@example.com")
    html = c.get("/clientarea").get_data(as_text=True)
    menu = html[html.index('data-name="Website &amp; Security"'):]
    menu = menu[:menu.index("</details>")]
    assert 'href="/index.php?m=solusio">Cloud Hosting</a>' in menu


def test_theme_override_wins_and_the_original_returns_when_removed(anon, addon_host, monkeypatch):
    from hostsim.services import templates as templates_module

    monkeypatch.setattr(templates_module, "RECHECK_SECONDS", 0)  # no second's wait for the removal
    theme_dir = Path(addon_host.config.home) / "templates" / "default" / "modules" / "addons" / "solusio" / "post-pay"
    theme_dir.mkdir(parents=True)
    override = theme_dir / "landing-page.tpl"
    override.write_text('{% extends "original:addons/solusio/post-pay/landing-page.tpl" %}'
                        '{% block hero %}<h1 id="custom-hero">Our own cloud pitch</h1>{% endblock %}')
    html = anon.get(LANDING).get_data(as_text=True)
    assert 'id="custom-hero"' in html and "$5.00" in html  # the override, and the original's other blocks
    override.write_text("<p id='all-mine'>Entirely our own page for {{ pricing.code }}</p>")
    html = anon.get(LANDING).get_data(as_text=True)
    assert "Entirely our own page for USD" in html and "How billing works" not in html
    override.unlink()
    html = anon.get(LANDING).get_data(as_text=True)
    assert "all-mine" not in html and "custom-hero" not in html and "How billing works" in html
