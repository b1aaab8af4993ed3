"""The email log and the activity log."""

from __future__ import annotations

from flask import abort, render_template
from sqlalchemy import select

from hostsim.db.models import ActivityLog, EmailLog
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required
from hostsim.web.context import get_host
from hostsim.web.pagination import paginate


@bp.get("/emails")
@admin_required
def emails() -> str:
    with get_host().sessions() as s:
        page = paginate(s, select(EmailLog).order_by(EmailLog.id.desc()))
    return render_template("admin/emails.html", page=page)


@bp.get("/emails/<int:email_id>")
@admin_required
def email(email_id: int) -> str:
    with get_host().sessions() as s:
        message = s.get(EmailLog, email_id)
    if message is None:
        abort(404)
    return render_template("admin/email.html", message=message)


@bp.get("/activity")
@admin_required
def activity() -> str:
    with get_host().sessions() as s:
        page = paginate(s, select(ActivityLog).order_by(ActivityLog.id.desc()), per_page=50)
    return render_template("admin/activity.html", page=page)
