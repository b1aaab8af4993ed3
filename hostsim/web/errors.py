"""Error pages: themed for the client area, plain admin pages under /admin; never a traceback.

:func:`register` also installs the one check of submitted text (:mod:`hostsim.web.forms`), whose
refusals are answered with these pages.
"""

from __future__ import annotations

import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from werkzeug.exceptions import HTTPException, InternalServerError

from hostsim.web.context import current_admin, render_theme

log = logging.getLogger(__name__)

MESSAGES = {
    400: ("Bad Request", "The request could not be understood."),
    403: ("Access Denied", "You do not have permission to open this page."),
    404: ("Page Not Found", "The page you asked for does not exist."),
    405: ("Method Not Allowed", "This page cannot be used that way."),
    413: ("Request Too Large", "What you sent is too large."),
    500: ("Something Went Wrong", "An unexpected error happened; it has been logged."),
}


def render_error(code: int, title: str, message: str) -> tuple[str, int]:
    try:
        if request.path.startswith("/admin"):
            return render_template("admin/error.html", code=code, title=title, message=message,
                                   admin=current_admin()), code
        return render_theme("error.html", code=code, title=title, message=message), code
    except Exception:  # the error page itself failed (database down...): plain text, still no traceback
        log.exception("rendering the %s page failed", code)
        return f"<!doctype html><title>{code}</title><h1>{code} {escape(title)}</h1><p>{escape(message)}</p>", code


def register(app: Flask) -> None:
    """The error handlers, and the input check that answers with :func:`render_error`."""
    from hostsim.web import forms

    forms.register(app)

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[str, int]:
        return render_error(400, "Form Expired",
                            "The form was not sent from this site or has expired. Go back, reload the page and try again.")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> tuple[str, int] | HTTPException:
        code = exc.code or 500
        if code < 400:
            return exc
        title, message = MESSAGES.get(code, (exc.name, ""))
        return render_error(code, title, message)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> tuple[str, int]:
        if isinstance(exc, HTTPException):  # pragma: no cover - handled above
            raise exc
        log.exception("unhandled error on %s %s", request.method, request.path, exc_info=exc)
        title, message = MESSAGES[500]
        return render_error(500, title, message)

    @app.errorhandler(InternalServerError)
    def _internal(exc: InternalServerError) -> tuple[str, int]:
        title, message = MESSAGES[500]
        return render_error(500, title, message)
