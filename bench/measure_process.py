"""Run the ``hostsim`` command line in this process and record its peak memory.

    python bench/measure_process.py STATS.json [hostsim arguments...]
"""

from __future__ import annotations

import atexit
import json
import resource
import sys
from pathlib import Path


def _write(stats: Path) -> None:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    # The largest of its child processes once they ended (the mail courier, worker processes).
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    stats.write_text(json.dumps({"max_rss_mib": peak_kib / 1024, "child_max_rss_mib": child_kib / 1024}))


if __name__ == "__main__":
    target = Path(sys.argv[1])
    atexit.register(_write, target)
    from hostsim.cli import main

    main(args=sys.argv[2:], prog_name="hostsim")
