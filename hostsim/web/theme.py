"""Serve a theme's static files (CSS, images, scripts) from the theme roots, and nothing else."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_file

from hostsim.services.templates import DEFAULT_THEME
from hostsim.web.context import get_host

bp = Blueprint("theme", __name__)

#: Only asset types are served: a theme's templates and email texts stay private.
ASSET_SUFFIXES = frozenset({".css", ".js", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".ico", ".webp",
                            ".woff", ".woff2", ".map"})


def _valid_theme(name: str) -> bool:
    return bool(name) and name.replace("-", "").replace("_", "").isalnum()


def resolve_asset(roots: list[Path], theme: str, filename: str) -> Path | None:
    """The asset ``filename`` of ``theme`` (falling back to the default theme), inside a root."""
    parts = filename.split("/")
    if (not filename or "\\" in filename or "\x00" in filename or filename.startswith("/")
            or any(p in ("", ".", "..") for p in parts)):
        return None
    if Path(filename).suffix.lower() not in ASSET_SUFFIXES or not _valid_theme(theme):
        return None
    for name in dict.fromkeys([theme, DEFAULT_THEME]):
        for root in roots:
            base = (root / name).resolve()
            try:
                path = base.joinpath(*parts).resolve(strict=True)
                path.relative_to(base)  # symlinks must not lead out of the theme folder
            except (OSError, ValueError):
                continue
            if path.is_file():
                return path
    return None


@bp.get("/theme/<theme>/<path:filename>")
def asset(theme: str, filename: str) -> Response:
    path = resolve_asset(get_host().templates.theme_roots(), theme, filename)
    if path is None:
        abort(404)
    return send_file(path, max_age=3600)
