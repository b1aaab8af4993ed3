"""Inline SVG icons for homepage panels and menus: drawn here, nothing fetched, no icon font.

``icon(name)`` gives an ``<svg>`` that inherits the text colour (``currentColor``), hidden from
screen readers (the label next to it says what it is). Names are the host's (``invoice``,
``cloud``...); WHMCS-style Font Awesome names (``fa-cloud``, ``fas fa-credit-card``) are read too,
and an unknown name gets a neutral dot rather than nothing.
"""

from __future__ import annotations

from markupsafe import Markup

#: Each icon's strokes on a 24x24 grid (round caps and joins, 1.8 wide).
PATHS: dict[str, str] = {
    "invoice": '<path d="M6 3h9l3 3v15H6z"/><path d="M15 3v3h3M9 10h6M9 14h6M9 18h4"/>',
    "cloud": '<path d="M7 19h10a4 4 0 0 0 .6-7.96A6 6 0 0 0 6.2 10.1 4.5 4.5 0 0 0 7 19z"/>',
    "server": '<rect x="4" y="4" width="16" height="7" rx="1.5"/><rect x="4" y="13" width="16" height="7" rx="1.5"/>'
              '<path d="M8 7.5h.01M8 16.5h.01"/>',
    "credit-card": '<rect x="3" y="6" width="18" height="12" rx="2"/><path d="M3 10h18M7 15h3"/>',
    "user": '<circle cx="12" cy="8" r="4"/><path d="M4 20a8 8 0 0 1 16 0"/>',
    "smile": '<circle cx="12" cy="12" r="9"/><path d="M8.5 14a4 4 0 0 0 7 0M9 9.5h.01M15 9.5h.01"/>',
    "help": '<circle cx="12" cy="12" r="9"/><path d="M9.5 9.5a2.5 2.5 0 1 1 3.4 2.3c-.6.3-.9.8-.9 1.4v.3M12 17h.01"/>',
    "dot": '<circle cx="12" cy="12" r="9"/><circle cx="12" cy="12" r="2.5"/>',
}
ALIASES = {"file-invoice": "invoice", "file-invoice-dollar": "invoice", "ticket": "help", "life-ring": "help",
           "question-circle": "help", "hdd": "server", "cloud-upload": "cloud", "user-circle": "user"}


def icon_name(name: str) -> str:
    """The icon ``name`` stands for: ``fas fa-cloud`` -> ``cloud``; ``dot`` when unknown."""
    words = [w.removeprefix("fa-") for w in (name or "").split() if w not in ("fa", "fas", "far", "fab", "fal")]
    for word in words:
        word = ALIASES.get(word, word)
        if word in PATHS:
            return word
    return "dot"


def icon(name: str, size: int = 20) -> Markup:
    return Markup(
        f'<svg class="icon icon-{icon_name(name)}" width="{int(size)}" height="{int(size)}" viewBox="0 0 24 24" '
        'fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" '
        f'aria-hidden="true" focusable="false">{PATHS[icon_name(name)]}</svg>')
