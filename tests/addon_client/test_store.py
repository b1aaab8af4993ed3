"""The Store: what the addons sell, with "Browse All" leading there; nothing for sale says so."""

from __future__ import annotations

from solusio_addon.clientarea import state
from tests.addon_client.conftest import login


def test_the_store_lists_cloud_hosting_and_browse_all_leads_there(anon, addon_host) -> None:
    home = anon.get("/").get_data(as_text=True)
    assert 'href="/store">Browse All</a>' in home
    html = anon.get("/store").get_data(as_text=True)
    assert 'data-name="Cloud Hosting"' in html and f'href="{state.LANDING_URL}"' in html.replace("&amp;", "&")
    assert "billed by the hour" in html and 'id="store-empty"' not in html


def test_a_client_sees_the_same_store(app, addon_host) -> None:
    from tests.addon_client.conftest import add_client

    add_client(addon_host, "ada@example.com")
    client = app.test_client()
    login(client, "ada@example.com")
    assert 'data-name="Cloud Hosting"' in client.get("/store").get_data(as_text=True)


def test_with_nothing_for_sale_the_store_says_so(bare_host) -> None:
    from hostsim.web import create_app

    html = create_app(bare_host).test_client().get("/store").get_data(as_text=True)
    assert 'id="store-empty"' in html and "Nothing is for sale here yet" in html
