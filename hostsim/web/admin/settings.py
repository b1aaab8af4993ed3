"""General settings: company, theme, terms URL, outgoing mail (the SMTP password masked) and the
lifetimes of admin and client logins."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hostsim.services.addon_settings import PASSWORD_MASK
from hostsim.services.automation_settings import AUTOMATION_DEFAULTS, AUTOMATION_LABELS
from hostsim.services.host_settings import (
    DEFAULTS,
    SECRET_KEYS,
    SESSION_KEYS,
    SETTING_LABELS,
    SMTP_SECURITY,
    SettingsError,
)
from hostsim.web.admin import bp
from hostsim.web.auth import full_admin_required
from hostsim.web.context import current_admin, get_host

FIELDS = ("company_name", "company_address", "theme", "tos_url", "mail_from", "contact_email", "smtp_host", "smtp_port", "smtp_security",
          "smtp_username", "smtp_password", *(key for keys in SESSION_KEYS.values() for key in keys),
          *AUTOMATION_DEFAULTS)


def available_themes() -> list[str]:
    names: set[str] = set()
    for root in get_host().templates.theme_roots():
        names.update(p.name for p in root.iterdir() if p.is_dir() and (p / "layout.html").is_file())
    return sorted(names)


def _display(values: dict[str, str]) -> dict[str, str]:
    shown = {k: values.get(k, DEFAULTS[k]) for k in FIELDS}
    for key in SECRET_KEYS:
        shown[key] = PASSWORD_MASK if values.get(key) else ""
    return shown


@bp.route("/settings", methods=["GET", "POST"])
@full_admin_required
def settings() -> Response | tuple[str, int]:
    host = get_host()
    errors: dict[str, str] = {}  # each refused setting's sentence, shown under its field
    shown = _display(host.settings.all())
    if request.method == "POST":
        admin = current_admin()
        assert admin is not None
        submitted = {k: request.form.get(k, "") for k in FIELDS if k in request.form}
        for key in SECRET_KEYS:
            if submitted.get(key) == PASSWORD_MASK:
                del submitted[key]  # shown masked and left alone: keep the stored secret
        try:
            if "theme" in submitted and submitted["theme"] not in available_themes():
                raise SettingsError({"theme": "choose an installed theme"})
            changed = host.settings.set_many(submitted, actor=admin.username)
        except SettingsError as exc:
            # "Terms of Service URL must start with ...", "Company address: at most 8 lines"
            errors = {key: f"{SETTING_LABELS.get(key, key)}{' ' if message.startswith('must') else ': '}{message}"
                      for key, message in exc.problems.items()}
            shown.update({k: v for k, v in submitted.items() if k not in SECRET_KEYS})
        else:
            flash("Settings saved." if changed else "Nothing changed.", "success")
            return redirect(url_for("admin.settings"))
    return render_template("admin/settings.html", values=shown, errors=errors,
                           themes=available_themes(), securities=SMTP_SECURITY,
                           automation=AUTOMATION_LABELS), (400 if errors else 200)
