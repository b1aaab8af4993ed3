"""The demo's folder: which one, and what happens to an earlier demo there.

Folder: ``--home``, else the global ``--home`` typed on the command line, else
``./hostsim-demo``. ``HOSTSIM_HOME`` and ``HOSTSIM_DATABASE_URL`` are not used: the demo never
touches your own instance. A folder the demo made holds a marker file; running again there is
refused unless ``--reset`` (which deletes that folder's contents first). A non-empty folder
without the marker is never used.
"""

from __future__ import annotations

import shutil
from pathlib import Path

DEFAULT_HOME = "hostsim-demo"
#: Marks a folder as made by ``hostsim demo`` (only such a folder is ever deleted, by --reset).
MARKER = ".hostsim-demo"


class FolderError(Exception):
    """The demo folder cannot be used (nothing was changed)."""


def choose_home(demo_home: str | None, global_home: str | None) -> Path:
    """The demo's folder, absolute: ``--home``, else the global ``--home``, else ``./hostsim-demo``."""
    return Path(demo_home or global_home or DEFAULT_HOME).expanduser().resolve()


def check_home(home: Path, *, reset: bool) -> None:
    """Refuse a folder the demo may not use, changing nothing: a file, a non-empty folder the
    demo did not make, or an earlier demo without ``reset``."""
    if home.exists() and not home.is_dir():
        raise FolderError(f"{home} exists and is not a folder; choose another --home")
    if home.is_dir() and any(home.iterdir()):
        if not (home / MARKER).exists():
            raise FolderError(f"{home} is not empty and was not made by 'hostsim demo'; nothing was changed. "
                              "Choose an empty or new folder with --home")
        if not reset:
            raise FolderError(f"{home} holds the demo of an earlier run (its simulator stopped with that run). "
                              "Run 'hostsim demo --reset' to delete it and start again, or choose another "
                              "folder with --home")


def prepare_home(home: Path, *, reset: bool) -> None:
    """Make ``home`` an empty demo folder, or refuse (never deletes a folder it did not make)."""
    check_home(home, reset=reset)
    if home.is_dir():
        for child in home.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text("Made by 'hostsim demo'; 'hostsim demo --reset' deletes this folder's contents.\n")
    (home / ".gitignore").write_text("# a demo instance: never committed\n*\n")
