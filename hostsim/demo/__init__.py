"""``hostsim demo``: the whole SolusIO post-pay story on a fresh instance (see ``scenario``)."""

from hostsim.demo.scenario import Demo, DemoError, DemoResult, FolderError, prepare_home

__all__ = ["Demo", "DemoError", "DemoResult", "FolderError", "prepare_home"]
