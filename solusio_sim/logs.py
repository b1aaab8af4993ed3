"""Logging of the ``solusio-sim`` command: level and format of the root logger, set once at start.

``text`` is one human-readable line per record; ``json`` is one JSON object per line with
``time`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, when there is one,
``exc_info`` (the formatted traceback), for log collectors.
"""

from __future__ import annotations

import json
import logging
import logging.config
from datetime import datetime, timezone

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
LEVEL_ENV = "SOLUSIO_SIM_LOG_LEVEL"
FORMAT_ENV = "SOLUSIO_SIM_LOG_FORMAT"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack_info"] = self.formatStack(record.stack_info)
        # json.dumps escapes newlines, so a traceback stays on its record's line
        return json.dumps(entry, default=str)


def configure_logging(level: str = "WARNING", fmt: str = "text") -> None:
    """Point the root logger at stderr with ``level`` and ``fmt``; replaces earlier handlers."""
    level, fmt = level.upper(), fmt.lower()
    if level not in LEVELS:
        raise ValueError(f"unknown log level {level!r}: one of {', '.join(LEVELS)}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown log format {fmt!r}: one of {', '.join(FORMATS)}")
    logging.config.dictConfig({
        "version": 1,
        "disable_existing_loggers": False,  # keep the loggers modules created at import time
        "formatters": {
            "text": {"format": TEXT_FORMAT},
            "json": {"()": JsonFormatter},
        },
        "handlers": {
            # the handler's level too: libraries that set their own logger's level (werkzeug sets
            # INFO) would otherwise get records below ``level`` through
            "stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "formatter": fmt, "level": level},
        },
        "root": {"level": level, "handlers": ["stderr"]},
    })


__all__ = ["configure_logging", "JsonFormatter", "LEVELS", "FORMATS", "LEVEL_ENV", "FORMAT_ENV"]
