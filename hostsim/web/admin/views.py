"""Admin login, logout, the admin's own profile (password, sessions) and the dashboard."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import func, select
from werkzeug.wrappers import Response

from hostsim.db.models import ActivityLog, Admin, Client, Invoice, InvoiceStatus
from hostsim.services import dashboard as dashboard_data
from hostsim.services.passwords import set_password
from hostsim.services.sessions import SessionStore
from hostsim.web.admin import bp
from hostsim.web.auth import (
    admin_required,
    check_password_change,
    client_ip,
    log_out_everywhere,
    login_admin,
    sign_in_admin,
)
from hostsim.web.charts import render_chart
from hostsim.web.context import current_admin, get_host
from hostsim.web.security import LoginThrottle, end_session, safe_next


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


@bp.route("/profile", methods=["GET", "POST"])
@admin_required
def profile() -> Response | tuple[str, int]:
    """The logged-in admin's own profile: change the password, log out every session."""
    host = get_host()
    admin = current_admin()
    assert admin is not None
    errors: dict[str, str] = {}
    if request.method == "POST":
        error = check_password_change(LoginThrottle(host, "admin"), admin.username, admin.password_hash,
                                      personal=(admin.username, admin.email.split("@")[0]))
        if error is not None:
            errors[error[0]] = error[1]
        else:
            set_password(host, "admin", admin.id, request.form["new_password"], actor=admin.username, ip=client_ip())
            with host.sessions() as s:
                fresh = s.get(Admin, admin.id)
            assert fresh is not None
            sign_in_admin(fresh)  # this browser stays logged in, under a new session id
            flash("Your password was changed. Every other session of your account was logged out.", "success")
            return redirect(url_for("admin.profile"))
    return render_template("admin/profile.html", errors=errors, sessions=SessionStore(host).count("admin", admin.id)), (
        400 if errors else 200)


@bp.post("/profile/logout-all")
@admin_required
def logout_all() -> Response:
    """End every session of the logged-in admin, this one included."""
    admin = current_admin()
    assert admin is not None
    log_out_everywhere("admin", admin.id, f"Admin {admin.username}", admin.username, admin_id=admin.id)
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
        revenue = dashboard_data.revenue_charts(s, host.clock)
        by_status = dashboard_data.invoice_status_chart(s, today)
        cron_runs = dashboard_data.recent_cron_runs(s)
    counts["addons"] = len(host.addons.active())
    return render_template("admin/dashboard.html", counts=counts, recent=recent, revenue=revenue,
                           by_status=by_status, cron_runs=cron_runs, widgets=host.addons.admin_widgets(),
                           render_chart=render_chart)
