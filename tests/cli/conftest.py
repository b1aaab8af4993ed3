from __future__ import annotations

from typing import Any, Callable

import pytest
from click.testing import CliRunner, Result

from hostsim.cli import main
from hostsim.host import Host


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``hostsim`` in-process on the given Host: ``cli(host, "cron", "all")``."""

    def invoke(host: Host, *args: str, input: str | None = None, **kwargs: Any) -> Result:
        return CliRunner().invoke(main, list(args), obj=host, input=input, **kwargs)

    return invoke
