"""Cron: registered tasks, their runs with counters, and the cross-process task locks."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base, UTCDateTime
from hostsim.db.types import str_enum


class CronTask(Base):
    __tablename__ = "cron_tasks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    description: Mapped[str] = mapped_column(String(255), default="")
    module: Mapped[str] = mapped_column(String(64), default="")
    priority: Mapped[int] = mapped_column(Integer, default=100)
    frequency_minutes: Mapped[int] = mapped_column(Integer, default=1440)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CronLock(Base):
    """A row per task, claimed with a conditional UPDATE: the one way two processes agree.

    ``owner`` is ``host:pid:nonce`` of the claiming process ('' when free); ``acquired_at`` and
    ``heartbeat_at`` (wall clock) say since when it holds the lock and when it last renewed it.
    """

    __tablename__ = "cron_locks"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    owner: Mapped[str] = mapped_column(String(128), default="")
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acquired_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CronRunStatus(enum.StrEnum):
    """A StrEnum: ``str()`` and f-strings give the value, as the plain strings it replaced did."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"


class CronRun(Base):
    __tablename__ = "cron_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    task_name: Mapped[str] = mapped_column(ForeignKey("cron_tasks.name"), index=True)
    as_of: Mapped[date] = mapped_column(Date)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    status: Mapped[CronRunStatus] = mapped_column(str_enum(CronRunStatus), default=CronRunStatus.RUNNING)
    counters: Mapped[str] = mapped_column(Text, default="{}")  # JSON object
    output: Mapped[str] = mapped_column(Text, default="")
    error: Mapped[str] = mapped_column(Text, default="")
