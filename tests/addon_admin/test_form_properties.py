"""Property tests: the pricing and post-pay forms, fed arbitrary strings through the web app,
never answer 500 and never save part of a submission."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostsim.addon_api import Host as AddonHost
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_sim import SimServer

from .conftest import PAGE, page_csrf

text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
numberish = st.from_regex(r"\A[ -]?[0-9]{0,8}(\.[0-9]{0,6})?[ ]?\Z")
specials = st.sampled_from(["", "0", "0.0010", "0.00105", "-1", "abc", "1e3", "NaN", "Infinity", "-0", ".", "1.",
                            "\u0661", "1,5", "999999999999", "  0.5  ", "0x10", "\x00", "1_000"])
field_value = st.one_of(text, numberish, specials)
SETTINGS = settings(max_examples=120, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _connect(client: FlaskClient, sim: SimServer) -> None:
    resp = client.post(PAGE, data={"csrf_token": page_csrf(client), "action": "connect", "url": sim.url,
                                   "api_key": sim.admin_token, "tls_mode": "verify"})
    assert resp.status_code == 302


def _expected_price(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.strip())
    except InvalidOperation:
        return None
    return value


@SETTINGS
@given(usd=field_value, eur=field_value)
def test_pricing_form_all_or_nothing(admin_client: FlaskClient, api: AddonHost, sim: SimServer,
                                     usd: str, eur: str) -> None:
    if not addon_settings.load_connection(api).connected:
        _connect(admin_client, sim)
    before = {r.code: r.price for r in pricing.active_prices(api)}
    resp = admin_client.post(PAGE + "&tab=settings", data={"csrf_token": page_csrf(admin_client), "action": "prices",
                                                           "price_USD": usd, "price_EUR": eur})
    assert resp.status_code in (200, 302, 400)  # 400: text with control characters, refused before the form
    after = {r.code: r.price for r in pricing.active_prices(api)}
    if resp.status_code == 302:
        for code, raw in (("USD", usd), ("EUR", eur)):
            assert after[code] == _expected_price(raw)
            assert after[code] is not None and after[code] >= 0
            assert after[code] == after[code].quantize(Decimal("0.0001"))
    else:
        assert after == before
        page = resp.get_data(as_text=True)
        assert ("contains a character that is not allowed" if resp.status_code == 400 else "Nothing was saved") in page


postpay_keys = ("limit_group_id", "terms_url", "grace_days", "lock_days", "suspend_days", "lookback_months")


@SETTINGS
@given(values=st.fixed_dictionaries({k: st.one_of(field_value, st.sampled_from(["1", "2", "7", "14", "https://x.example/t"]))
                                     for k in postpay_keys}))
def test_postpay_form_all_or_nothing(admin_client: FlaskClient, api: AddonHost, sim: SimServer,
                                     values: dict[str, str]) -> None:
    if not addon_settings.load_connection(api).connected:
        _connect(admin_client, sim)
    before = addon_settings.load_postpay(api)
    resp = admin_client.post(PAGE + "&tab=postpay",
                             data={"csrf_token": page_csrf(admin_client), "action": "postpay", **values})
    assert resp.status_code in (200, 302, 400)  # 400: text with control characters, refused before the form
    after = addon_settings.load_postpay(api)
    if resp.status_code == 302:
        expected = {k: v.strip() for k, v in values.items()}
        expected = {k: (str(int(v)) if k != "terms_url" and v else v) for k, v in expected.items()}
        assert after.as_form() == expected
        assert after.suspend_days >= after.lock_days
    else:
        assert after == before
