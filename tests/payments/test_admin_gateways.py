"""The admin's Payment Gateways page: activate, configure (typed fields, secrets never shown back,
nothing saved on an error, changes logged as sentences), deactivate after a confirmation."""

from __future__ import annotations

import re

from sqlalchemy import select

from hostsim.db.models import ActivityLog
from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.services.bootstrap import create_admin
from tests.payments.conftest import SANDBOX_SECRET
from tests.web.conftest import ADMIN_PASSWORD, login_admin, post_form

PAGE = "/admin/gateways"


def activity(host) -> list[str]:
    with host.sessions() as s:
        return [e.description for e in s.scalars(select(ActivityLog).order_by(ActivityLog.id))]


def section(html: str, name: str) -> str:
    """The card of gateway ``name`` on the page."""
    match = re.search(rf'<section class="card gateway" id="gateway-{name}".*?</section>', html, re.S)
    assert match, f"no card for {name}"
    return match.group(0)


def configure(admin, name: str, data: dict):
    return post_form(admin, f"{PAGE}/{name}/configure", data, token_from=PAGE)


def sandbox_form(**changes: str) -> dict:
    """The sandbox's Configure form as the page submits it, unchanged but for ``changes``."""
    return {"display_name": "Card (Sandbox)", "order": "1", "cfg_secret": "", **changes}


def test_the_page_lists_every_installed_gateway_by_its_human_name(pay_admin):
    html = pay_admin.get(PAGE).get_data(as_text=True)
    for name, title, status in (("sandbox", "Card (Sandbox)", "Active"), ("banktransfer", "Bank Transfer", "Active"),
                                ("mailin", "Mail In Payment", "Inactive")):
        card = section(html, name)
        assert title in card and f'gateway-status">{status}<' in card
    assert "Configure" not in section(html, "mailin")  # only an active gateway is configured
    visible = re.sub(r"<[^>]+>", " ", html)  # the text, not the attributes
    assert "banktransfer" not in visible and "mailin" not in visible
    assert 'href="/admin/gateways"' in pay_admin.get("/admin/").get_data(as_text=True)  # in the navigation


def test_activating_from_the_page(pay_admin, pay_host):
    answer = post_form(pay_admin, f"{PAGE}/mailin/activate", token_from=PAGE)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/gateways?configure=mailin")
    html = pay_admin.get(answer.headers["Location"]).get_data(as_text=True)
    assert "Mail In Payment activated" in html
    card = section(html, "mailin")
    assert 'gateway-status">Active<' in card and "<details class=\"configure\" open>" in card
    assert "Pay To Address" in card  # its own typed field, generated from its config
    assert pay_host.payment_gateways.get_active("mailin") is not None
    assert activity(pay_host)[-1] == "Payment gateway Mail In Payment activated"


def test_deactivate_asks_for_confirmation_first(pay_admin, pay_host):
    confirm = pay_admin.get(f"{PAGE}/banktransfer/deactivate").get_data(as_text=True)
    assert "Deactivate Bank Transfer?" in confirm and "Cancel" in confirm
    assert pay_host.payment_gateways.get_active("banktransfer") is not None  # asking changed nothing
    done = post_form(pay_admin, f"{PAGE}/banktransfer/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "Bank Transfer deactivated" in done and 'gateway-status">Inactive<' in section(done, "banktransfer")
    assert pay_host.payment_gateways.get_active("banktransfer") is None
    assert activity(pay_host)[-1] == "Payment gateway Bank Transfer deactivated"


def test_configure_saves_every_kind_of_field_and_logs_sentences(pay_admin, pay_host):
    details = "Bank: Test Bank\r\nIBAN: DE00 1234\r\nBIC: TESTDEFF"
    answer = configure(pay_admin, "banktransfer", {"display_name": "Wire transfer", "order": "5",
                                                   "currencies": ["EUR"], "cfg_instructions": details})
    assert answer.status_code == 302
    assert "Wire transfer: changes saved." in pay_admin.get(PAGE).get_data(as_text=True)
    row = pay_host.payment_gateways.get_active("banktransfer")
    assert (row.display_name, row.sort_order, row.currencies) == ("Wire transfer", 5, "EUR")
    assert pay_host.payment_gateways.settings("banktransfer")["instructions"] == details.strip()
    assert [g.name for g in pay_host.payment_gateways.active("USD")] == ["sandbox"]  # offered in EUR only now
    assert activity(pay_host)[-4:] == [
        "Payment gateway Bank Transfer: Currencies changed to EUR",
        "Payment gateway Bank Transfer: Display Name changed to 'Wire transfer'",
        "Payment gateway Bank Transfer: Order changed to 5",
        f"Payment gateway Bank Transfer: Bank Transfer Instructions changed to {details.strip()!r}",
    ]


def test_a_save_that_changes_nothing_says_so_and_logs_nothing(pay_admin, pay_host):
    before = activity(pay_host)
    answer = configure(pay_admin, "sandbox", sandbox_form())
    assert answer.status_code == 302
    assert "Card (Sandbox): No change." in pay_admin.get(PAGE).get_data(as_text=True)
    assert activity(pay_host) == before
    assert pay_host.payment_gateways.settings("sandbox")["secret"] == SANDBOX_SECRET  # blank kept it


def test_a_bad_value_names_the_field_under_it_and_saves_nothing(pay_admin, pay_host):
    before = activity(pay_host)
    answer = configure(pay_admin, "sandbox", sandbox_form(display_name="Cards", order="first",
                                                          cfg_secret="typed-new-secret-91"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    card = section(html, "sandbox")
    assert "Nothing was saved" in card
    order_field = re.search(r'name="order".*?</div>', card, re.S).group(0)
    assert '<span class="field-error" role="alert">Order: must be a whole number from 0 to 9999</span>' in order_field
    assert 'value="Cards"' in card and 'value="first"' in card  # what the admin typed, to correct it
    assert "typed-new-secret-91" not in html  # not even a rejected secret comes back
    row = pay_host.payment_gateways.get_active("sandbox")
    assert (row.display_name, row.sort_order) == ("Card (Sandbox)", 1)
    assert pay_host.payment_gateways.settings("sandbox")["secret"] == SANDBOX_SECRET
    assert activity(pay_host) == before


def test_an_order_of_digits_int_refuses_is_a_field_error_not_a_500(pay_admin, pay_host):
    for order in ("\u00b2", "\u0661\u0662", "\uff13"):  # superscript, Arabic-Indic, full-width digits
        answer = configure(pay_admin, "sandbox", sandbox_form(order=order))
        assert answer.status_code == 400, (order, answer.status_code)
        assert "Order: must be a whole number from 0 to 9999" in answer.get_data(as_text=True)
    assert pay_host.payment_gateways.get_active("sandbox").sort_order == 1


def test_an_unknown_currency_is_refused_by_its_label(pay_admin, pay_host):
    answer = configure(pay_admin, "sandbox", sandbox_form(display_name="Cards", currencies=["USD", "XXX"]))
    assert answer.status_code == 400
    assert "Currencies: no currency XXX" in section(answer.get_data(as_text=True), "sandbox")
    row = pay_host.payment_gateways.get_active("sandbox")
    assert (row.display_name, row.currencies) == ("Card (Sandbox)", "")  # the rename before it was not kept


def test_the_secret_is_never_rendered_back(pay_admin, pay_host):
    html = pay_admin.get(f"{PAGE}?configure=sandbox").get_data(as_text=True)
    card = section(html, "sandbox")
    assert SANDBOX_SECRET not in html and PASSWORD_MASK not in html
    assert 'name="cfg_secret" value=""' in card and "Set, leave blank to keep." in card
    assert configure(pay_admin, "sandbox", sandbox_form(cfg_secret="rotated-secret-5521")).status_code == 302
    assert pay_host.payment_gateways.settings("sandbox")["secret"] == "rotated-secret-5521"
    assert activity(pay_host)[-1] == "Payment gateway Card (Sandbox): Signing secret changed"
    for url in (PAGE, f"{PAGE}?configure=sandbox", "/admin/activity", f"{PAGE}/sandbox/deactivate"):
        assert "rotated-secret-5521" not in pay_admin.get(url).get_data(as_text=True), url


def test_a_stored_secret_can_be_removed(pay_admin, pay_host):
    assert configure(pay_admin, "sandbox", sandbox_form(clear="secret")).status_code == 302
    assert pay_host.payment_gateways.settings("sandbox")["secret"] == ""
    assert "Set, leave blank to keep." not in section(pay_admin.get(PAGE).get_data(as_text=True), "sandbox")


def test_only_full_administrators_manage_gateways(pay_host, pay_app):
    create_admin(pay_host, "helper", "helper@example.com", ADMIN_PASSWORD, role="Support Operator")
    helper = pay_app.test_client()
    assert login_admin(helper, "helper").status_code == 302
    assert helper.get(PAGE).status_code == 403
    assert post_form(helper, f"{PAGE}/mailin/activate", token_from="/admin/").status_code == 403
    assert pay_host.payment_gateways.get_active("mailin") is None
    assert 'href="/admin/gateways"' not in helper.get("/admin/").get_data(as_text=True)


def test_an_unknown_gateway_is_404(pay_admin):
    assert pay_admin.get(f"{PAGE}/nosuch/deactivate").status_code == 404
    assert post_form(pay_admin, f"{PAGE}/nosuch/activate", token_from=PAGE).status_code == 404


def test_a_control_character_in_a_gateway_setting_is_refused_by_its_label(pay_admin, pay_host):
    before = pay_host.payment_gateways.settings("banktransfer")["instructions"]
    answer = configure(pay_admin, "banktransfer", {"display_name": "Bank Transfer", "order": "2",
                                                   "cfg_instructions": "IBAN: DE00\x001234"})
    assert answer.status_code == 400
    assert "Bank Transfer Instructions contains a character that is not allowed" in answer.get_data(as_text=True)
    assert pay_host.payment_gateways.settings("banktransfer")["instructions"] == before
