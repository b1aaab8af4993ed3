"""Every hook is documented in docs/hooks.md with its exact signature (datasette's rule)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from hostsim.plugins import hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "hooks.md"


def specs() -> dict[str, str]:
    found = {}
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(fn, "hostsim_spec"):
            found[name] = f"{name}({', '.join(inspect.signature(fn).parameters)})"
    return found


def documented() -> dict[str, str]:
    headings = re.findall(r"^### (\w+)(\(.*\))\s*$", DOCS.read_text(), flags=re.M)
    return {name: name + args for name, args in headings}


def test_there_are_hooks_to_document() -> None:
    assert len(specs()) >= 18


def test_every_hook_is_documented_with_its_signature() -> None:
    docs = documented()
    missing = sorted(set(specs()) - set(docs))
    assert not missing, f"hooks missing from docs/hooks.md: {missing}"
    wrong = {name: (sig, docs[name]) for name, sig in specs().items() if docs[name] != sig}
    assert not wrong, f"signatures differ from docs/hooks.md: {wrong}"


def test_docs_name_no_hook_that_does_not_exist() -> None:
    assert not sorted(set(documented()) - set(specs()))


def test_every_hook_has_a_pytest_style_docstring() -> None:
    for name, fn in inspect.getmembers(hookspecs, inspect.isfunction):
        if not hasattr(fn, "hostsim_spec"):
            continue
        doc = inspect.getdoc(fn) or ""
        assert doc.split("\n", 1)[0].endswith("."), f"{name}: first line must be a one-line summary"
        for param in inspect.signature(fn).parameters:
            assert f":param {param}:" in doc, f"{name}: parameter {param} is not documented"


def section_hooks() -> dict[str, set[str]]:
    """The hooks documented under each ``## `` section of docs/hooks.md."""
    found: dict[str, set[str]] = {}
    for section in re.split(r"^## ", DOCS.read_text(), flags=re.M)[1:]:
        title = section.split("\n", 1)[0].strip()
        found[title] = set(re.findall(r"^### (\w+)\(", section, flags=re.M))
    return found


def whmcs_name(name: str) -> str | None:
    """The WHMCS hook a spec's summary line names (``WHMCS ``AdminHomeWidgets````), snake_cased."""
    summary = (inspect.getdoc(getattr(hookspecs, name)) or "").split("\n", 1)[0]
    match = re.search(r"WHMCS ``(\w+)``", summary)
    return re.sub(r"(?<!^)(?=[A-Z])", "_", match.group(1)).lower() if match else None


def test_hooks_are_named_for_their_kind_or_after_the_whmcs_hook_they_mirror() -> None:
    sections = section_hooks()
    calls, collectors = sections["Addon calls"], sections["Collectors"]
    assert calls and collectors
    assert all(name.startswith("addon_") for name in calls), sorted(calls)
    misnamed = sorted(n for n in collectors if not n.startswith("register_") and whmcs_name(n) != n)
    assert not misnamed, f"collectors named neither register_* nor after the WHMCS hook they mirror: {misnamed}"
    assert whmcs_name("admin_home_widgets") == "admin_home_widgets"
    # The prefixes say the kind: no register_* or addon_* hook is documented under another kind.
    elsewhere = set(specs()) - calls - collectors
    assert not sorted(n for n in elsewhere if n.startswith(("register_", "addon_")))
