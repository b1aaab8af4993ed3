"""A real SMTP server (aiosmtpd) in its own process for the benchmarks: it accepts every
message and appends one line per message (its recipients, tab, its Message-ID) to a file,
so the benchmark can check what arrived and how many times.

    python bench/smtp_sink.py PORT RECEIVED_FILE
"""

from __future__ import annotations

import re
import signal
import sys
import threading
from pathlib import Path
from typing import Any

# The Message-ID header of the header block (parsing whole messages would make the sink, which
# shares the machine with what it measures, cost as much CPU as the sender).
MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(.*?)\r?$", re.MULTILINE | re.IGNORECASE)


def main() -> None:
    from aiosmtpd.controller import Controller

    port, out = int(sys.argv[1]), Path(sys.argv[2])
    received = out.open("a", buffering=1)  # a line per message, written as it arrives

    class Sink:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            headers = envelope.content.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
            found = MESSAGE_ID.search(headers)
            message_id = found.group(1).decode("ascii", "replace") if found else ""
            received.write(f"{','.join(envelope.rcpt_tos)}\t{message_id}\n")
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    received.close()


if __name__ == "__main__":
    main()
