"""The Addon Modules page: activation, Configure by WHMCS rules, access control, the addon page."""

from __future__ import annotations

from sqlalchemy import select

from hostsim.db.models import ActivityLog, AddonModule, AdminRole
from hostsim.services.addon_settings import PASSWORD_MASK
from tests.web.conftest import SECRET, activate, login_admin, post_form


def role_id(host, name: str) -> int:
    with host.sessions() as s:
        return s.scalars(select(AdminRole.id).where(AdminRole.name == name)).one()


def activity(host) -> list[str]:
    with host.sessions() as s:
        return [e.description for e in s.scalars(select(ActivityLog).order_by(ActivityLog.id))]


def configure(admin, data: dict, module: str = "demo"):
    return post_form(admin, f"/admin/addonmodules/{module}/configure", data, token_from="/admin/addonmodules")


def test_page_lists_installed_addons_with_their_details(admin):
    html = admin.get("/admin/addonmodules").get_data(as_text=True)
    for text in ("Demo Addon", "v1.0", "A demonstration addon for the web tests.", "Demo Author", "Api Addon",
                 "Broken Addon", "Inactive", ">Activate<"):
        assert text in html
    assert "Configure" not in html  # only an active addon can be configured


def test_activate_and_deactivate_show_the_result_as_a_flash(admin, web_host, demo):
    response = post_form(admin, "/admin/addonmodules/demo/activate", token_from="/admin/addonmodules",
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert web_host.lifecycle.is_active("demo") and demo.calls == [("activate",)]
    assert 'alert-success' in html and "Demo Addon is ready to use" in html
    assert "Deactivate" in html and "Configure" in html
    assert 'href="/admin/addonmodules/demo/deactivate"' in html  # a link to the confirmation, not a POST
    confirm = admin.get("/admin/addonmodules/demo/deactivate").get_data(as_text=True)
    assert web_host.lifecycle.is_active("demo")  # asking changes nothing
    assert "Deactivate Demo Addon?" in confirm and "<strong>removes</strong> its settings" in confirm
    assert "<strong>keeps</strong> its own tables and their data" in confirm
    response = post_form(admin, "/admin/addonmodules/demo/deactivate", token_from="/admin/addonmodules/demo/deactivate",
                         follow_redirects=True)
    assert not web_host.lifecycle.is_active("demo")
    assert "Demo Addon deactivated" in response.get_data(as_text=True)
    again = admin.get("/admin/addonmodules/demo/deactivate", follow_redirects=True).get_data(as_text=True)
    assert "Demo Addon is not active." in again


def test_failed_activation_is_an_error_flash_and_stays_inactive(admin, web_host):
    response = post_form(admin, "/admin/addonmodules/broken/activate", token_from="/admin/addonmodules",
                         follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "alert-error" in html and "the database is missing a table" in html
    assert not web_host.lifecycle.is_active("broken")


def test_unknown_addon_is_404(admin):
    assert post_form(admin, "/admin/addonmodules/nope/activate", token_from="/admin/addonmodules").status_code == 404


def test_configure_renders_every_field_type(admin, web_host):
    activate(web_host)
    web_host.addon_settings.save_config("demo", {"api_secret": SECRET, "enabled": "on"})
    html = admin.get("/admin/addonmodules").get_data(as_text=True)
    assert 'name="access_role"' in html and "Support Operator" in html
    assert 'name="cfg_api_user" value="admin"' in html
    assert f'type="password" name="cfg_api_secret" value="{PASSWORD_MASK}"' in html
    assert 'type="checkbox" name="cfg_enabled" value="on" checked' in html
    assert '<option value="live" selected>' in html
    assert 'type="radio" name="cfg_colour" value="red" checked' in html
    assert 'textarea id="demo-notes" name="cfg_notes" rows="4"' in html
    assert SECRET not in html


def test_configure_saves_by_whmcs_rules_and_logs(admin, web_host):
    activate(web_host, roles=())
    web_host.addon_settings.save_config("demo", {"api_secret": SECRET, "api_user": "admin", "notes": "x"})
    support = role_id(web_host, "Support Operator")
    response = configure(admin, {
        "access_role": [str(support)],
        "cfg_api_user": "  alice  ",        # trimmed
        "cfg_api_secret": PASSWORD_MASK,     # shown masked and left alone: kept
        # cfg_enabled absent: an unticked yesno is stored off
        "cfg_mode": "test",
        # cfg_colour absent from the form: gets its Default
        "cfg_notes": "line one\nline two",
    })
    assert response.status_code == 302
    settings = web_host.addon_settings.get_all("demo")
    assert settings["api_user"] == "alice"
    assert settings["api_secret"] == SECRET
    assert settings["enabled"] == ""
    assert settings["mode"] == "test"
    assert settings["colour"] == "red"
    assert settings["notes"] == "line one\nline two"
    assert web_host.lifecycle.access_role_ids("demo") == {support}
    log = activity(web_host)
    assert any("setting API User changed from 'admin' to 'alice'" in e for e in log)
    assert any("setting Enabled changed" in e for e in log)
    assert "Addon Demo Addon: Support Operator can now open Demo Addon" in log
    assert not any(SECRET in e for e in log)
    with web_host.sessions() as s:
        assert {e.actor for e in s.scalars(select(ActivityLog).where(ActivityLog.description.like("%API User%")))} == {"boss"}


def test_a_new_password_replaces_the_stored_one(admin, web_host):
    activate(web_host)
    configure(admin, {"cfg_api_secret": "brand-new-secret", "cfg_mode": "live", "cfg_colour": "blue"})
    assert web_host.addon_settings.get("demo", "api_secret") == "brand-new-secret"


def test_invalid_configuration_saves_nothing(admin, web_host):
    activate(web_host)
    before_access = web_host.lifecycle.access_role_ids("demo")
    response = configure(admin, {"access_role": [str(role_id(web_host, "Sales Operator"))],
                                 "cfg_api_user": "changed", "cfg_mode": "sideways"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Mode: choose one of live, test" in html
    assert 'name="cfg_api_user" value="changed"' in html  # the form keeps what was typed
    assert web_host.addon_settings.get("demo", "api_user") == "admin"
    assert web_host.lifecycle.access_role_ids("demo") == before_access
    response = configure(admin, {"access_role": ["999"], "cfg_mode": "live", "cfg_colour": "red"})
    assert response.status_code == 400 and "choose from the listed role groups" in response.get_data(as_text=True)


def test_secret_never_appears_in_any_admin_page(admin, web_host):
    activate(web_host)
    configure(admin, {"access_role": [str(role_id(web_host, "Full Administrator"))], "cfg_api_secret": SECRET,
                      "cfg_mode": "live", "cfg_colour": "red"})
    post_form(admin, "/admin/settings", {"company_name": "Acme", "theme": "default", "smtp_port": "587",
                                         "smtp_security": "starttls", "smtp_password": SECRET})
    assert web_host.addon_settings.get("demo", "api_secret") == SECRET
    assert web_host.settings.get("smtp_password") == SECRET
    for url in ("/admin/", "/admin/addonmodules", "/admin/activity", "/admin/settings",
                "/admin/addonmodules.php?module=demo", "/admin/emails"):
        response = admin.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.get_data(as_text=True), url


def test_only_full_administrators_configure_addons(app, web_host):
    client = app.test_client()
    login_admin(client, "helper")
    assert client.get("/admin/addonmodules").status_code == 403
    assert client.get("/admin/settings").status_code == 403
    assert post_form(client, "/admin/addonmodules/demo/activate", token_from="/admin/").status_code == 403
    assert not web_host.lifecycle.is_active("demo")


def test_addon_page_needs_a_granted_role(app, admin, web_host):
    activate(web_host, roles=("Full Administrator",))
    helper = app.test_client()
    login_admin(helper, "helper")
    for url in ("/admin/addonmodules.php?module=demo", "/admin/addons/demo"):
        response = helper.get(url)
        assert response.status_code == 403
        html = response.get_data(as_text=True)
        assert "Access Denied" in html
        assert ("An administrator with the Full Administrator role can grant your role group access under "
                "Configuration &gt; System Settings &gt; Addon Modules &gt; Configure") in html
        assert "Demo admin page" not in html
    configure(admin, {"access_role": [str(role_id(web_host, "Support Operator"))], "cfg_mode": "live",
                      "cfg_colour": "red"})
    response = helper.get("/admin/addonmodules.php?module=demo")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "<h2>Demo admin page</h2>" in html  # trusted addon HTML, not escaped
    assert "demo-sidebar" in html
    assert "href='/admin/addonmodules.php?module=demo&amp;tab=2'" in html
    assert admin.get("/admin/addons/demo").status_code == 403  # the Full Administrator role lost access


def test_addon_page_of_an_inactive_addon_is_404(admin):
    assert admin.get("/admin/addonmodules.php?module=demo").status_code == 404
    assert admin.get("/admin/addons/nope").status_code == 404


def test_addon_page_posts_and_responses_reach_the_addon(admin, web_host):
    activate(web_host)
    response = post_form(admin, "/admin/addonmodules.php?module=demo", {"note": "<hi>"})
    assert response.status_code == 200
    assert "<p class='posted'>Got &lt;hi&gt;</p>" in response.get_data(as_text=True)
    response = admin.get("/admin/addons/demo?download=1")
    assert response.mimetype == "text/csv" and response.data == b"a,b\n1,2\n"


def test_addon_page_runs_the_upgrade_first(admin, web_host, demo):
    activate(web_host)
    with web_host.transaction() as s:
        s.get(AddonModule, "demo").version = "0.9"
    assert admin.get("/admin/addons/demo").status_code == 200
    assert ("upgrade", "0.9") in demo.calls
    assert web_host.lifecycle.stored_version("demo") == "1.0"


def test_access_control_saves_say_what_changed_and_warn_when_nobody_is_left(admin, web_host):
    from hostsim.db.models import AdminRole

    activate(web_host)  # Full Administrator
    with web_host.sessions() as s:
        roles = {r.name: r.id for r in s.scalars(select(AdminRole))}
    form = {"access_role": [roles["Full Administrator"]], "cfg_api_user": "admin", "cfg_mode": "live"}
    post_form(admin, "/admin/addonmodules/demo/configure", form, token_from="/admin/addonmodules")
    before = len(activity(web_host))
    page = post_form(admin, "/admin/addonmodules/demo/configure", form, token_from="/admin/addonmodules",
                     follow_redirects=True).get_data(as_text=True)
    assert "Demo Addon: No change." in page and len(activity(web_host)) == before  # the same again: nothing logged
    page = post_form(admin, "/admin/addonmodules/demo/configure", {"access_role": [roles["Support Operator"]]},
                     token_from="/admin/addonmodules", follow_redirects=True).get_data(as_text=True)
    assert ("Support Operator can now open Demo Addon. Full Administrator can no longer open Demo Addon." in page)
    assert "no setting changed" not in page
    page = post_form(admin, "/admin/addonmodules/demo/configure", {}, token_from="/admin/addonmodules",
                     follow_redirects=True).get_data(as_text=True)
    assert "Support Operator can no longer open Demo Addon." in page
    assert "alert-warning" in page and "no admin will reach its page" in page
    assert web_host.lifecycle.access_role_ids("demo") == set()
