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
