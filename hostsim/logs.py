"""Logging of every host entry point: one handler on the root logger, text or JSON lines.

``configure_logging()`` is called once by the ``hostsim`` command (``--log-level``,
``--log-format``) and by ``create_app()`` when a WSGI server builds the app from the
environment. The handler sits on the ROOT logger so the addons' loggers (``solusio_addon.*``)
come out the same way as the host's.

Each record carries what it belongs to, from context variables set by the code running it:
``cron_run_id`` and ``task`` while a cron task runs (:mod:`hostsim.cron.runner`),
``request_id`` while a web request is served (:mod:`hostsim.web`).

Secrets stay out: the host never passes them to a logger, and the libraries that would
(SQLAlchemy's statement parameters, urllib3's raw request URLs) are held above DEBUG/INFO.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any, Iterator, TextIO

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
LEVEL_ENV = "HOSTSIM_LOG_LEVEL"
FORMAT_ENV = "HOSTSIM_LOG_FORMAT"
DEFAULT_LEVEL = "WARNING"
DEFAULT_FORMAT = "text"

cron_run_id: ContextVar[int | None] = ContextVar("hostsim_cron_run_id", default=None)
cron_task: ContextVar[str | None] = ContextVar("hostsim_cron_task", default=None)
request_id: ContextVar[str | None] = ContextVar("hostsim_request_id", default=None)

#: record attribute, its context variable, its short name in the text format
CONTEXT: tuple[tuple[str, ContextVar[Any], str], ...] = (
    ("cron_run_id", cron_run_id, "run"),
    ("task", cron_task, "task"),
    ("request_id", request_id, "req"),
)

#: Loggers that would write secrets at low levels: SQL parameters (password hashes, tokens)
#: and urllib3's unscrubbed request URLs (the SolusIO client logs its own, scrubbed).
QUIET_LOGGERS = {"sqlalchemy": logging.WARNING, "urllib3": logging.INFO}


class ContextFilter(logging.Filter):
    """Copies the context variables onto each record (None when not set)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for attr, var, _short in CONTEXT:
            if getattr(record, attr, None) is None:
                setattr(record, attr, var.get())
        return True


def _iso_utc(record: logging.LogRecord) -> str:
    moment = datetime.fromtimestamp(record.created, timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    """``2026-08-01T02:00:00.123Z WARNING hostsim.x [run=12 task=T]: message`` (+ traceback)."""

    def format(self, record: logging.LogRecord) -> str:
        shown = " ".join(f"{short}={value}" for attr, _var, short in CONTEXT
                         if (value := getattr(record, attr, None)) is not None)
        context = f" [{shown}]" if shown else ""
        line = f"{_iso_utc(record)} {record.levelname} {record.name}{context}: {record.getMessage()}"
        extra = self._exception_text(record)
        return f"{line}\n{extra}" if extra else line

    def _exception_text(self, record: logging.LogRecord) -> str:
        parts = []
        if record.exc_info:
            parts.append(self.formatException(record.exc_info))
        elif record.exc_text:
            parts.append(record.exc_text)
        if record.stack_info:
            parts.append(self.formatStack(record.stack_info))
        return "\n".join(parts)


class JsonFormatter(TextFormatter):
    """One JSON object per line: time, level, logger, message, exception, context fields."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"time": _iso_utc(record), "level": record.levelname, "logger": record.name,
                                "message": record.getMessage()}
        exception = self._exception_text(record)
        if exception:
            data["exception"] = exception
        for attr, _var, _short in CONTEXT:
            value = getattr(record, attr, None)
            if value is not None:
                data[attr] = value
        return json.dumps(data, default=str, ensure_ascii=False)


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is when a record comes (test runners swap it)."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass  # always the current sys.stderr


def _choice(value: str | None, env: str, default: str, choices: tuple[str, ...], *, upper: bool) -> str:
    raw = value if value else os.environ.get(env) or default
    normal = raw.strip().upper() if upper else raw.strip().lower()
    if normal not in choices:
        source = "" if value else f"{env}: "
        raise ValueError(f"{source}{raw!r} is not one of {', '.join(choices)}")
    return normal


def configure_logging(level: str | None = None, fmt: str | None = None) -> logging.Handler:
    """Send the root logger's records to stderr at ``level`` in ``fmt`` (``text`` or ``json``).

    Unset arguments come from ``HOSTSIM_LOG_LEVEL`` / ``HOSTSIM_LOG_FORMAT``, else WARNING and
    text. Calling it again updates the one handler it installed instead of adding another.
    Returns that handler.
    """
    level_name = _choice(level, LEVEL_ENV, DEFAULT_LEVEL, LEVELS, upper=True)
    fmt_name = _choice(fmt, FORMAT_ENV, DEFAULT_FORMAT, FORMATS, upper=False)
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h, StderrHandler)), None)
    if handler is None:
        handler = StderrHandler()
        handler.addFilter(ContextFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt_name == "json" else TextFormatter())
    root.setLevel(level_name)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
    return handler


@contextmanager
def cron_context(run_id: int | None, task: str) -> Iterator[None]:
    """Records logged inside carry ``cron_run_id`` and ``task``."""
    run_token, task_token = cron_run_id.set(run_id), cron_task.set(task)
    try:
        yield
    finally:
        cron_task.reset(task_token)
        cron_run_id.reset(run_token)


__all__ = [
    "ContextFilter", "FORMATS", "JsonFormatter", "LEVELS", "StderrHandler", "TextFormatter", "configure_logging",
    "cron_context", "cron_run_id", "cron_task", "request_id",
]
