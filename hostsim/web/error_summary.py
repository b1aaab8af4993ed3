"""A refused form's error summary: every problem at the top of the form, each a link to its
field, and the first invalid field to focus (the theme's ``_error_summary.html`` draws it).

Fields drawn by the theme's ``field`` macro (``_field.html``) have the id ``f-<name>``; ``ids``
names any other (a checkbox's). A problem of no field (``general``) is listed without a link.
Addons use it as ``hostsim.addon_api.web.form_summary``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def form_summary(errors: Mapping[str, str], labels: Mapping[str, str],
                 ids: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``error_summary`` rows (field, id, label, message) in the order of ``labels``, then the
    rest; and ``first_invalid``, the field to focus ("" when none)."""
    ids = ids or {}
    rows = [{"field": name, "id": ids.get(name, f"f-{name}"), "label": label, "message": errors[name]}
            for name, label in labels.items() if name in errors]
    rows += [{"field": name, "id": "", "label": "", "message": message}
             for name, message in errors.items() if name not in labels]
    return {"error_summary": rows, "first_invalid": next((row["field"] for row in rows if row["id"]), "")}
