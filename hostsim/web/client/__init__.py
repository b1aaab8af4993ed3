"""The client area: pages rendered through the active theme (``templates/<theme>/*.html``)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("client", __name__)

from hostsim.web.client import account, views  # noqa: F401
