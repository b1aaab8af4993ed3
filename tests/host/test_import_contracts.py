"""The import-linter contract that keeps the addon to ``hostsim.addon_api`` names every other part
of hostsim: a module or package added to hostsim is forbidden to addons until someone decides
otherwise (by adding it to the public API, not by forgetting it in pyproject.toml)."""

from __future__ import annotations

import pkgutil
import tomllib
from pathlib import Path

import hostsim

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
PUBLIC = "hostsim.addon_api"


def addon_contract() -> dict:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    found = [c for c in contracts if c["type"] == "forbidden" and c["source_modules"] == ["solusio_addon"]
             and any(m.startswith("hostsim.") for m in c["forbidden_modules"])]
    assert len(found) == 1, "one forbidden contract keeps solusio_addon to hostsim.addon_api"
    return found[0]


def test_every_hostsim_module_but_the_addon_api_is_forbidden_to_the_addon() -> None:
    top_level = {f"hostsim.{m.name}" for m in pkgutil.iter_modules(hostsim.__path__)}
    assert PUBLIC in top_level and len(top_level) > 10
    forbidden = set(addon_contract()["forbidden_modules"])
    missing = sorted(top_level - {PUBLIC} - forbidden)
    assert not missing, f"add to the addon's forbidden_modules in pyproject.toml: {missing}"
    assert PUBLIC not in forbidden
    assert not sorted(forbidden - top_level), "forbidden_modules names a module hostsim no longer has"
