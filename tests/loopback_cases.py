"""What counts as loopback, for the two copies of ``is_loopback``: ``hostsim serve`` listens on a
non-loopback address only with ``--public``, ``solusio-sim serve`` only with ``--allow-remote``.
The host may not import the simulator nor the simulator the host, so each keeps its own copy;
both are tested with these cases (tests/cli/test_serve_loopback.py, tests/sim/test_seed_and_control.py)."""

from __future__ import annotations

LOOPBACK_CASES: list[tuple[str, bool]] = [
    ("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LocalHost", True), ("::ffff:127.0.0.1", True), ("[::ffff:127.0.0.1]", True), ("::ffff:7f00:1", True),
    ("0.0.0.0", False), ("::", False), ("[::]", False), ("192.168.1.5", False), ("::ffff:192.168.1.5", False),
    ("::ffff:0.0.0.0", False), ("example.com", False), ("localhost.example.com", False), ("", False),
    ("[::1", False), ("::1]", False), ("[127.0.0.1", False), (" 127.0.0.1", False), ("127.0.0.1\x00", False),
]
