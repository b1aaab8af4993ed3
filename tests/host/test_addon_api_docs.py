"""Every name the addon API exports is documented in docs/addon-api.md, and nothing else is."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "addon-api.md"
#: module -> the prefix its names carry in the docs' headings
MODULES = {"hostsim.addon_api": "", "hostsim.addon_api.web": "web.", "hostsim.addon_api.instance": "instance."}


def exported() -> set[str]:
    names = set()
    for module, prefix in MODULES.items():
        mod = importlib.import_module(module)
        names |= {prefix + name for name in mod.__all__}
    return names


def documented() -> set[str]:
    return set(re.findall(r"^### ([\w.]+)\s*$", DOCS.read_text(), flags=re.M))


def test_the_api_exports_what_an_addon_needs() -> None:
    names = exported()
    assert {"hookimpl", "Host", "Base", "ExactDecimal", "CronContext", "web.render_client_page"} <= names


def test_every_export_is_documented() -> None:
    missing = sorted(exported() - documented())
    assert not missing, f"exported but missing from docs/addon-api.md: {missing}"


def test_docs_name_nothing_that_is_not_exported() -> None:
    gone = sorted(documented() - exported())
    assert not gone, f"documented in docs/addon-api.md but not exported: {gone}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_export_exists(module: str) -> None:
    mod = importlib.import_module(module)
    for name in mod.__all__:
        assert hasattr(mod, name), f"{module}.__all__ names {name}, which it does not define"


def test_the_core_api_never_loads_flask() -> None:
    # An addon's billing code imports hostsim.addon_api; a cron process must not pay for Flask.
    import subprocess
    import sys

    code = "import sys, hostsim.addon_api; print('flask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
