"""The landing page prices every resource SolusIO bills: servers per plan and additional IPs."""

from __future__ import annotations

from tests.addon_client.conftest import LANDING


def test_landing_lists_additional_ip_prices_per_plan(anon, addon_host, sim):  # type: ignore[no-untyped-def]
    sim.state.add_plan("Web", tokens_per_hour=14, tokens_per_month=10000, ip_tokens_per_hour=2,
                       ip_tokens_per_month=1000)
    html = anon.get(LANDING).get_data(as_text=True)
    # 2 tokens/h x 0.0010 = $0.0020 per IP per hour; 1000 tokens x 0.0010 = $1.00 per IP a month at most
    assert '<td>Web</td><td class="num">$0.0020</td><td class="num">$1.00</td>' in html
    ip_table = html[html.index('id="ip-price-table"'):]
    assert "<td>Small</td>" not in ip_table  # Small prices no IPs: SolusIO bills them nothing
    euro = anon.get(LANDING + "&currency=EUR").get_data(as_text=True)
    assert '<td>Web</td><td class="num">€0.0018</td><td class="num">€0.90</td>' in euro


def test_landing_has_no_ip_table_when_no_plan_prices_ips(anon, addon_host):  # type: ignore[no-untyped-def]
    html = anon.get(LANDING).get_data(as_text=True)
    assert 'id="price-table"' in html and 'id="ip-price-table"' not in html
