"""The themed client area: register, login, homepage panels, navbars, invoices, details, addon pages."""

from __future__ import annotations

import logging

from hostsim.db.models import Client
from tests.web.conftest import (
    CLIENT_PASSWORD,
    SECRET,
    activate,
    add_client,
    add_invoice,
    csrf_of,
    login_client,
    post_form,
)


def register(client, **overrides):
    data = {"first_name": "Ada", "last_name": "Lovelace", "company": "Engines Ltd", "email": "ada@example.com",
            "password": CLIENT_PASSWORD, "currency": "EUR", **overrides}
    return post_form(client, "/register", data)


def test_public_homepage_and_logged_out_navbar(anon):
    response = anon.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Welcome to Example Hosting" in html
    for label in ("Home", "Store", "Contact Us", "Login", "Register"):
        assert f">{label}<" in html, label
    assert "/theme/default/css/theme.css" in html


#: Menus the host has no content for: left out of the navbars, and their pages do not exist.
EMPTY_PAGES = {"Announcements": "/announcements", "Knowledgebase": "/knowledgebase", "Network Status": "/serverstatus",
               "Services": "/clientarea/services", "Domains": "/clientarea/domains"}


def test_menus_without_content_are_hidden_at_both_login_states(anon, web_host):
    add_client(web_host, "ada@example.com")
    activate(web_host)  # an active addon's menu hooks do not bring them back
    for state in ("visitor", "client"):
        if state == "client":
            login_client(anon, "ada@example.com")
        html = anon.get("/clientarea" if state == "client" else "/").get_data(as_text=True)
        assert ">Home<" in html, state
        for label, url in EMPTY_PAGES.items():
            assert f">{label}<" not in html and f'href="{url}"' not in html, (state, label)
            assert anon.get(url).status_code == 404, (state, url)


def test_register_errors_keep_typed_values_but_not_the_password(anon, web_host):
    response = register(anon, password="short", company="<Engines>")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert '<span class="field-error" id="e-password">use at least 10 characters</span>' in html
    assert 'value="Ada"' in html and 'value="&lt;Engines&gt;"' in html and 'value="ada@example.com"' in html
    assert "short" not in html
    assert '<option value="EUR" selected>' in html
    response = register(anon, email="not-an-email")
    assert 'id="e-email">enter a valid email address' in response.get_data(as_text=True)
    with web_host.sessions() as s:
        assert s.query(Client).count() == 0


def test_register_logs_in_and_rejects_duplicates(app, anon, web_host):
    response = register(anon)
    assert response.status_code == 302 and response.headers["Location"] == "/clientarea"
    html = anon.get("/clientarea").get_data(as_text=True)
    assert "Welcome, Ada" in html and "Welcome back" not in html and "Hello, Ada" in html
    with web_host.sessions() as s:
        client = s.query(Client).one()
        assert client.currency.code == "EUR" and client.company == "Engines Ltd"
    other = app.test_client()
    response = register(other, email="ADA@example.com")
    assert "an account with this email address already exists" in response.get_data(as_text=True)


def test_login_logout(anon, web_host):
    add_client(web_host, "ada@example.com")
    response = login_client(anon, "ada@example.com", "Wrong-pass-1")
    assert "Login failed" in response.get_data(as_text=True)
    assert login_client(anon, "ada@example.com").status_code == 302
    html = anon.get("/logout").get_data(as_text=True)  # a link only asks
    assert "Do you want to log out?" in html
    assert anon.get("/clientarea").status_code == 200
    post_form(anon, "/logout")
    assert anon.get("/clientarea").status_code == 302


def test_homepage_panels_and_navbars_with_addon_hooks(anon, web_host):
    cid = add_client(web_host, "ada@example.com")
    add_invoice(web_host, cid, "5.00")
    add_invoice(web_host, cid, "6.00")
    login_client(anon, "ada@example.com")
    html = anon.get("/clientarea").get_data(as_text=True)
    assert "You have 2 unpaid invoices." in html and "View all invoices" in html
    assert "Demo Panel" not in html and "Website &amp; Security" not in html  # inactive addon: no hooks
    activate(web_host)
    html = anon.get("/clientarea").get_data(as_text=True)
    assert '<p class=\'demo-body\'>Hi Ada</p>' in html
    assert html.index('data-name="Demo Panel"') < html.index('data-name="Unpaid Invoices"')  # order 5 before 10
    assert "Open demo" in html and ">New<" in html
    for label in ("Website &amp; Security", "Billing", "Support", "Demo Cloud", "My Invoices", "Edit Account Details"):
        assert f">{label}" in html, label
    assert '<details class="dropdown">' in html
    assert 'action="/logout"' in html  # Logout in the navbar is a POST form


def test_client_sees_only_own_invoices(app, anon, web_host):
    mine = add_client(web_host, "ada@example.com")
    theirs = add_client(web_host, "bob@example.com", "Bob", "Other")
    my_invoice = add_invoice(web_host, mine, "7.00", description="My hosting")
    their_invoice = add_invoice(web_host, theirs, "8.00", description="Their hosting")
    login_client(anon, "ada@example.com")
    html = anon.get("/clientarea/invoices").get_data(as_text=True)
    assert f'href="/clientarea/invoices/{my_invoice}"' in html
    assert f'/clientarea/invoices/{their_invoice}"' not in html
    page = anon.get(f"/clientarea/invoices/{my_invoice}").get_data(as_text=True)
    assert "My hosting" in page and "$7.00" in page and "Unpaid" in page
    response = anon.get(f"/clientarea/invoices/{their_invoice}")
    assert response.status_code == 404 and b"Their hosting" not in response.data
    assert app.test_client().get(f"/clientarea/invoices/{my_invoice}").status_code == 302


def test_edit_details_fires_client_edit(anon, web_host, demo):
    cid = add_client(web_host, "ada@example.com")
    activate(web_host)
    login_client(anon, "ada@example.com")
    response = post_form(anon, "/clientarea/details", {"first_name": "Augusta", "last_name": "Lovelace",
                                                       "company": "Analytical", "email": "ada@example.com"})
    assert response.status_code == 302
    assert ("client_edit", cid, ["company", "first_name"]) in demo.calls
    response = post_form(anon, "/clientarea/details", {"first_name": "", "last_name": "Lovelace", "company": "",
                                                       "email": "bad"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="e-email">enter a valid email address' in html
    with web_host.sessions() as s:
        assert s.get(Client, cid).first_name == "Augusta"


def test_addon_client_page_requires_an_active_addon(anon):
    assert anon.get("/index.php?m=demo").status_code == 404
    assert anon.get("/clientarea/addon/nope").status_code == 404
    assert anon.get("/index.php").headers["Location"] == "/"


def test_addon_client_page_requirelogin_redirects_and_comes_back(anon, web_host):
    activate(web_host)
    add_client(web_host, "ada@example.com")
    response = anon.get("/index.php?m=demo&x=42")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/index.php?m%3Ddemo%26x%3D42"
    token_page = anon.get(response.headers["Location"])
    response = anon.post(response.headers["Location"], data={"csrf_token": csrf_of(token_page.data),
                                                             "email": "ada@example.com", "password": CLIENT_PASSWORD})
    assert response.headers["Location"] == "/index.php?m=demo&x=42"
    html = anon.get("/index.php?m=demo&x=42").get_data(as_text=True)
    assert '<h1 class="page-title">Demo Page</h1>' in html
    assert '<div class="demo-hello">&lt;b&gt;Hello&lt;/b&gt; <span class="extra">42</span>' in html  # autoescaped .tpl
    assert 'class="breadcrumb"' in html and '<a href="/index.php?m=demo">Demo</a>' in html
    assert "<span>Hello</span>" in html
    assert anon.get("/clientarea/addon/demo").status_code == 200
    response = post_form(anon, "/index.php?m=demo", {"word": "yes"})
    assert "Posted yes" in response.get_data(as_text=True)


def test_addon_client_page_public_template_in_a_subfolder(anon, web_host):
    activate(web_host)
    html = anon.get("/index.php?m=demo&action=public").get_data(as_text=True)
    assert '<section class="demo-landing">Landing for visitor</section>' in html
    assert "Demo Cloud" in html  # the logged-out Store menu got the addon's entry


def test_theme_override_wins_over_the_addon_template(anon, web_host):
    activate(web_host)
    override = web_host.config.home / "templates" / "default" / "modules" / "addons" / "demo" / "post-pay"
    override.mkdir(parents=True)
    (override / "landing.tpl").write_text("<p class='override'>Custom landing for {{ who }}</p>")
    html = anon.get("/index.php?m=demo&action=public").get_data(as_text=True)
    assert "<p class='override'>Custom landing for visitor</p>" in html and "demo-landing" not in html


def test_addon_json_answer(anon, web_host):
    activate(web_host)
    response = anon.get("/index.php?m=demo&action=json")
    assert response.status_code == 202 and response.get_json() == {"ok": True, "client_id": None}


def test_missing_addon_template_redirects_home(anon, web_host, caplog):
    activate(web_host)
    with caplog.at_level(logging.ERROR, logger="hostsim.web.addons"):
        response = anon.get("/index.php?m=demo&action=missing")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert any("no-such-template" in r.getMessage() for r in caplog.records)
    assert "That page is not available right now." in anon.get("/").get_data(as_text=True)


def test_errors_are_themed_and_never_show_a_traceback(anon, web_host):
    activate(web_host)
    response = anon.get("/no/such/page")
    assert response.status_code == 404 and "Page Not Found" in response.get_data(as_text=True)
    assert 'class="site-header"' in response.get_data(as_text=True)
    response = anon.get("/index.php?m=demo&action=boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something Went Wrong" in html
    assert "Traceback" not in html and "internal detail" not in html


def test_theme_assets_stay_inside_the_theme(anon):
    assert anon.get("/theme/default/css/theme.css").status_code == 200
    assert anon.get("/theme/mytheme/css/theme.css").status_code == 200  # falls back to default
    for url in ("/theme/default/../../pyproject.toml", "/theme/default/%2e%2e/%2e%2e/pyproject.toml",
                "/theme/default/layout.html", "/theme/default/emails/invoice_created.txt", "/theme/..%2f/x.css",
                "/theme/..%2fdefault/css/theme.css"):
        assert anon.get(url, follow_redirects=True).status_code == 404, url


def test_no_secret_in_client_pages(anon, web_host):
    activate(web_host)
    web_host.addon_settings.save_config("demo", {"api_secret": SECRET})
    add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    for url in ("/", "/clientarea", "/index.php?m=demo", "/clientarea/details", "/clientarea/invoices"):
        assert SECRET not in anon.get(url).get_data(as_text=True), url


def test_homepage_panels_have_inline_svg_icons(anon, web_host):
    from hostsim.web.icons import icon, icon_name

    add_client(web_host, "ada@example.com")
    login_client(anon, "ada@example.com")
    html = anon.get("/clientarea").get_data(as_text=True)
    assert '<span class="panel-icon" aria-hidden="true" data-icon="invoice"><svg class="icon icon-invoice"' in html
    assert "<img" not in html and "http" not in str(icon("invoice"))  # drawn inline: nothing is fetched
    assert icon_name("fas fa-credit-card") == "credit-card" and icon_name("fa-ticket") == "help"
    assert icon_name("no-such-icon") == "dot" and icon_name("") == "dot"
