"""The demo's hook: ``hostsim demo``, a top-level command that needs no instance."""

from __future__ import annotations

import click

from hostsim.addon_api import hookimpl


@hookimpl
def register_commands() -> list[click.Command]:
    from solusio_addon.demo.cli import demo
    return [demo]
