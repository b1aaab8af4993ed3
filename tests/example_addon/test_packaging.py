"""The example addon as a package: it imports only the public addon API of hostsim, and once
installed the host finds it through its ``hostsim.addons`` entry point."""

from __future__ import annotations

import ast
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hostsim.config import HostConfig
from hostsim.host import Host
from hostsim.plugins.manager import ENTRY_POINT_GROUP, get_plugin_manager
from tests.example_addon.conftest import EXAMPLE

PUBLIC = {"hostsim.addon_api", "hostsim.addon_api.web"}


def hostsim_imports(path: Path) -> set[str]:
    """Every ``hostsim`` module ``path`` imports (``from hostsim import x`` counts as ``hostsim.x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                # a module imported by name (``from hostsim.addon_api import web``) counts as itself
                found.add(full if node.module == "hostsim" or full in PUBLIC else node.module)
    return {name for name in found if name == "hostsim" or name.startswith("hostsim.")}


def test_example_imports_only_the_public_addon_api() -> None:
    sources = sorted((EXAMPLE / "hello_addon").rglob("*.py"))
    assert {p.name for p in sources} >= {"__init__.py", "plugin.py", "clientarea.py", "cron.py"}
    used: set[str] = set()
    for path in sources:
        imports = hostsim_imports(path)
        assert imports <= PUBLIC, f"{path.relative_to(EXAMPLE)} imports {sorted(imports - PUBLIC)}"
        used |= imports
    assert used == PUBLIC  # both halves of the API are exercised


def test_the_import_check_catches_private_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("import hostsim.db.models\nfrom hostsim import web\nfrom hostsim.addon_api import web as w\n"
                      "from hostsim.services.menus import MenuItem\nfrom hostsim.addon_api import Host\n")
    assert hostsim_imports(sample) == {"hostsim.db.models", "hostsim.web", "hostsim.addon_api.web",
                                       "hostsim.services.menus", "hostsim.addon_api"}


def _installed() -> bool:
    return "hello" in {ep.name for ep in entry_points(group=ENTRY_POINT_GROUP)}


@pytest.mark.skipif(not _installed(), reason="docs/examples/hello_addon is not installed (CI installs it)")
def test_installed_example_is_found_through_its_entry_point(db_url: str, tmp_path: Path) -> None:
    (ep,) = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == "hello"]
    assert ep.value == "hello_addon.plugin"
    host = Host(HostConfig.from_env(home=tmp_path / "home", database_url=db_url), pm=get_plugin_manager(autoload=True))
    try:
        assert "hello" in host.addons.installed()
        assert host.addons.pm.get_plugin("hello") is sys.modules["hello_addon.plugin"]
        assert host.addons.config("hello").name == "Hello"
        # its HOOK_MODULES came along as parts of the addon
        for part in ("hello_addon.clientarea", "hello_addon.cron"):
            assert host.addons.pm.get_plugin(f"hello/{part}") is sys.modules[part]
        assert host.lifecycle.activate("hello").status == "success"
        assert "HelloDigest" in {task.name for task in host.addons.cron_tasks()}
    finally:
        host.engine.dispose()
