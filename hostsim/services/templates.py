"""Theme templates and the four-step addon template lookup.

Names a template may be asked for:

* ``page.html`` — a client-area page of the active theme (instance theme folder first, then the
  shipped one, then the shipped ``default`` theme);
* ``addons/<module>/<name>.tpl`` — an addon template, looked up as WHMCS does:
  1. ``<themes>/<theme>/modules/addons/<module>/<name>.tpl`` (the theme author's override),
  2. ``<addon>/templates/<theme>/<name>.tpl``, 3. ``<addon>/templates/<name>.tpl``,
  4. ``<addon>/<name>.tpl``;
* ``original:addons/<module>/<name>.tpl`` — the same lookup without step 1, so an override can
  ``{% extends "original:addons/solusio/post-pay/landing-page.tpl" %}`` and change one block.

Nothing outside those folders can be reached: ``..``, absolute paths and backslashes are refused,
and a resolved path must stay inside its root (symlinks included).
"""

from __future__ import annotations

import os
import sys
import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from jinja2 import BaseLoader, Environment, TemplateNotFound, select_autoescape

from hostsim import formatting

if TYPE_CHECKING:
    from hostsim.host import Host

DEFAULT_THEME = "default"
THEME_TTL_SECONDS = 2.0
ORIGINAL_PREFIX = "original:"
ADDON_PREFIX = "addons/"


def shipped_themes_dir() -> Path:
    """The theme folder that ships with the host: in a wheel, inside the package; in a checkout,
    the repository's ``templates/``."""
    packaged = Path(str(resources.files("hostsim"))) / "_themes"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "templates"


def _segments(name: str) -> list[str]:
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        raise TemplateNotFound(name)
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        raise TemplateNotFound(name)
    return parts


def _inside(root: Path, parts: list[str]) -> Path | None:
    candidate = root.joinpath(*parts)
    try:
        resolved = candidate.resolve(strict=True)
        resolved.relative_to(root.resolve())
    except (OSError, ValueError):
        return None
    return resolved if resolved.is_file() else None


#: How long a loaded template is used before its file (and which file wins) is looked at again.
RECHECK_SECONDS = 1.0


class ThemeLoader(BaseLoader):
    def __init__(self, theme_roots: Callable[[], list[Path]], theme: Callable[[], str],
                 addon_roots: Callable[[str], Path | None]) -> None:
        self.theme_roots = theme_roots
        self.theme = theme
        self.addon_roots = addon_roots

    def candidates(self, name: str) -> list[tuple[Path, list[str]]]:
        """(root, path parts) pairs in lookup order, before checking existence."""
        skip_override = name.startswith(ORIGINAL_PREFIX)
        if skip_override:
            name = name[len(ORIGINAL_PREFIX):]
        theme = self.theme()
        parts = _segments(name)
        if parts[0] + "/" == ADDON_PREFIX:
            if len(parts) < 3:
                raise TemplateNotFound(name)
            module, rest = parts[1], parts[2:]
            found: list[tuple[Path, list[str]]] = []
            if not skip_override:
                found += [(root, [theme, "modules", "addons", module, *rest]) for root in self.theme_roots()]
            addon_root = self.addon_roots(module)
            if addon_root is not None:
                found += [(addon_root, ["templates", theme, *rest]), (addon_root, ["templates", *rest]),
                          (addon_root, rest)]
            return found
        if skip_override:
            raise TemplateNotFound(name)
        themes = [theme] if theme == DEFAULT_THEME else [theme, DEFAULT_THEME]
        return [(root, [t, *parts]) for t in themes for root in self.theme_roots()]

    def resolve(self, name: str) -> Path:
        for root, parts in self.candidates(name):
            path = _inside(root, parts)
            if path is not None:
                return path
        raise TemplateNotFound(name)

    def get_source(self, environment: Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.resolve(template)
        mtime = path.stat().st_mtime
        source = path.read_text(encoding="utf-8")

        checked = [time.monotonic()]

        def uptodate() -> bool:
            # Jinja asks on every get_template; walking the lookup (resolve, stat) each time cost
            # a page several stats per template. A theme author's edit shows within RECHECK_SECONDS.
            now = time.monotonic()
            if now - checked[0] < RECHECK_SECONDS:
                return True
            checked[0] = now
            # An override added or removed changes which file wins, not just its mtime.
            try:
                return self.resolve(template) == path and path.stat().st_mtime == mtime
            except (OSError, TemplateNotFound):
                return False

        return source, str(path), uptodate


class TemplateService:
    def __init__(self, host: "Host") -> None:
        self.host = host
        self._theme: tuple[str, float] | None = None
        self.loader = ThemeLoader(self.theme_roots, self.active_theme, self.addon_root)
        self.env = Environment(
            loader=self.loader,
            autoescape=select_autoescape(["html", "tpl", "xml"], disabled_extensions=("txt",), default_for_string=True, default=True),
            auto_reload=True,
        )
        formatting.install(self.env)  # emails and addon templates format as the pages do

    def theme_roots(self) -> list[Path]:
        """Instance theme folder (where a pip-installed host's theme authors work) first."""
        roots = [self.host.config.home / "templates"]
        extra = os.environ.get("HOSTSIM_THEMES_DIR")
        if extra:
            roots.insert(0, Path(extra))
        roots.append(shipped_themes_dir())
        return [r for r in roots if r.is_dir()]

    def active_theme(self) -> str:
        """The theme chosen in settings, re-read at most every few seconds (every template
        lookup asks, and a page or a batch of emails makes many lookups)."""
        now = time.monotonic()
        if self._theme is None or now - self._theme[1] > THEME_TTL_SECONDS:
            self._theme = (self.host.settings.get("theme") or DEFAULT_THEME, now)
        return self._theme[0]

    def forget_theme(self) -> None:
        self._theme = None

    def addon_root(self, module: str) -> Path | None:
        plugin = self.host.addons.pm.get_plugin(module)
        if plugin is None:
            return None
        mod = sys.modules.get(plugin.__module__) if not hasattr(plugin, "__file__") else plugin
        path = getattr(mod, "__file__", None)
        return Path(path).resolve().parent if path else None

    def addon_template_name(self, module: str, name: str) -> str:
        # WHMCS names addon templates without their .tpl; a name with its own extension
        # (an email's .txt) is kept as it is.
        name = name if "." in name.rsplit("/", 1)[-1] else name + ".tpl"
        return f"{ADDON_PREFIX}{module}/{name}"

    def render(self, name: str, **context: Any) -> str:
        # Emails and other text no web viewer reads as it is rendered: the host's locale, even
        # when a web request (whose viewer has a locale of their own) sends them.
        with formatting.viewing_as(formatting.DEFAULT_LOCALE):
            return self.env.get_template(name).render(**context)

    def render_addon(self, module: str, name: str, **context: Any) -> str:
        return self.render(self.addon_template_name(module, name), **context)
