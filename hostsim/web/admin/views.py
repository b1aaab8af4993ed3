"""Admin login, logout and the dashboard."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from hostsim.db.models import ActivityLog, Client, Invoice, InvoiceStatus
from hostsim.web.admin import bp
from hostsim.web.auth import admin_required, login_admin
from hostsim.web.context import current_admin, get_host
from hostsim.web.security import end_session, safe_next


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    target = safe_next(request.values.get("next"), url_for("admin.dashboard"))
    if request.method == "GET" and current_admin() is not None:
        return redirect(target)
    error = ""
    username = ""
    if request.method == "POST":
        username = request.form.get("username", "")
        result = login_admin(username, request.form.get("password", ""))
        if result.ok:
            return redirect(target)
        error = result.message
        return render_template("admin/login.html", error=error, username=username, next=target), (
            429 if result.throttled else 200)
    return render_template("admin/login.html", error=error, username=username, next=target)


@bp.post("/logout")
def logout() -> Response:
    end_session("admin")
    flash("You have been logged out.", "info")
    return redirect(url_for("admin.login"))


@bp.get("/")
@admin_required
def dashboard() -> str:
    host = get_host()
    today = host.clock.today()
    with host.sessions() as s:
        counts = {
            "clients": s.scalar(select(func.count()).select_from(Client)) or 0,
            "unpaid": s.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.status == InvoiceStatus.UNPAID)) or 0,
            "overdue": s.scalar(select(func.count()).select_from(Invoice).where(
                Invoice.status == InvoiceStatus.UNPAID, Invoice.due_date < today)) or 0,
        }
        recent = list(s.scalars(select(ActivityLog).order_by(ActivityLog.id.desc()).limit(10)))
    counts["addons"] = len(host.addons.active())
    return render_template("admin/dashboard.html", counts=counts, recent=recent)
