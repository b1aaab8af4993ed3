"""The addon API: markers, hook specifications, the plugin-manager factory and its typed facade."""

from hostsim.plugins.markers import hookimpl, hookspec

__all__ = ["hookimpl", "hookspec"]
