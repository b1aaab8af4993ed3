"""Theme templates: the four-step addon lookup, overrides that extend, no path traversal."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from jinja2 import TemplateNotFound

from hostsim.addon_api import AddonConfig, hookimpl
from hostsim.services import templates as templates_module
from hostsim.services.templates import shipped_themes_dir

REPO = Path(__file__).resolve().parents[2]


class TemplatedAddon:
    def __init__(self, root: Path) -> None:
        self.__file__ = str(root / "plugin.py")  # the host finds the addon's folder from its file

    @hookimpl
    def addon_config(self):
        return AddonConfig(name="Demo", version="1")


@pytest.fixture
def setup(make_host, tmp_path, monkeypatch):
    # Every render looks at the files again (a served page does so at most once a second).
    monkeypatch.setattr(templates_module, "RECHECK_SECONDS", 0)
    addon_root = tmp_path / "addon"
    home = tmp_path / "home"
    host = make_host(("demo", TemplatedAddon(addon_root)), home=home)
    host.settings.set_many({"theme": "sunny"})
    theme = home / "templates" / "sunny"
    files = {
        "override": theme / "modules/addons/demo/post-pay/landing-page.tpl",
        "addon-theme": addon_root / "templates/sunny/post-pay/landing-page.tpl",
        "addon-templates": addon_root / "templates/post-pay/landing-page.tpl",
        "addon-root": addon_root / "post-pay/landing-page.tpl",
    }
    for label, path in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{label}:{{{{ who }}}}")
    return host, files


def test_four_step_lookup_in_order(setup):
    host, files = setup
    for label in ["override", "addon-theme", "addon-templates", "addon-root"]:
        assert host.templates.render_addon("demo", "post-pay/landing-page", who="<b>") == f"{label}:&lt;b&gt;"
        files[label].unlink()
    with pytest.raises(TemplateNotFound):
        host.templates.render_addon("demo", "post-pay/landing-page", who="x")


def test_override_wins_and_removing_it_restores_the_original(setup):
    host, files = setup
    assert host.templates.render_addon("demo", "post-pay/landing-page", who="a").startswith("override:")
    files["override"].unlink()
    assert host.templates.render_addon("demo", "post-pay/landing-page", who="a").startswith("addon-theme:")


def test_a_loaded_template_is_looked_at_again_only_after_the_recheck_interval(setup, monkeypatch):
    host, files = setup
    monkeypatch.setattr(templates_module, "RECHECK_SECONDS", 3600)
    assert host.templates.render_addon("demo", "post-pay/landing-page", who="a").startswith("override:")
    files["override"].unlink()  # within the interval: the loaded template still serves
    assert host.templates.render_addon("demo", "post-pay/landing-page", who="a").startswith("override:")
    monkeypatch.setattr(templates_module, "RECHECK_SECONDS", 0)  # the interval over
    assert host.templates.render_addon("demo", "post-pay/landing-page", who="a").startswith("addon-theme:")


def test_override_can_extend_the_template_it_replaces(setup):
    host, files = setup
    files["addon-theme"].write_text("<h1>{% block title %}Cloud{% endblock %}</h1><p>{% block body %}{% endblock %}</p>")
    files["override"].write_text('{% extends "original:addons/demo/post-pay/landing-page.tpl" %}'
                                 "{% block body %}Cheap VMs{% endblock %}")
    assert host.templates.render_addon("demo", "post-pay/landing-page") == "<h1>Cloud</h1><p>Cheap VMs</p>"


@pytest.mark.parametrize("name", [
    "addons/demo/../../../etc/passwd", "../secret.tpl", "/etc/passwd", "addons/demo/..\\x.tpl",
    "addons/demo/./post-pay/landing-page.tpl", "addons/demo", "", "original:../x",
])
def test_no_path_traversal(setup, name):
    host, _ = setup
    with pytest.raises(TemplateNotFound):
        host.templates.env.get_template(name)


def test_a_symlink_out_of_the_theme_is_not_followed(setup, tmp_path):
    host, files = setup
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    files["override"].unlink()
    files["override"].symlink_to(secret)
    assert host.templates.render_addon("demo", "post-pay/landing-page", who="a").startswith("addon-theme:")


def test_active_theme_falls_back_to_default_for_pages_it_lacks(setup):
    host, _ = setup
    text = host.templates.env.get_template("emails/invoice_created.txt").filename
    assert Path(text).parent.parent.name == "default"


def test_shipped_theme_is_the_repository_templates_folder_in_a_checkout():
    assert shipped_themes_dir() == REPO / "templates"
    assert (shipped_themes_dir() / "default" / "emails" / "invoice_created.txt").is_file()


@pytest.mark.slow
def test_a_non_editable_install_carries_the_theme(tmp_path):
    """Build the wheel, install it into a plain folder, and find the theme from there."""
    wheel_dir = tmp_path / "wheel"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheel_dir), str(REPO)],
                   check=True, capture_output=True)
    wheel = next(wheel_dir.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "hostsim/_themes/default/emails/invoice_created.txt" in names
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True)
    probe = "from hostsim.services.templates import shipped_themes_dir as d; print(d())"
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    assert out == str(target / "hostsim" / "_themes")
