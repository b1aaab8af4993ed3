"""General host settings (company, active theme, SMTP, terms URL, cron hour) as key/value rows."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base


class HostSetting(Base):
    __tablename__ = "host_settings"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class CacheGeneration(Base):
    """One row: a number every write to a cached table moves on (``hostsim.db.read_cache``), so
    each process knows, with one cheap read per request, whether what it keeps is still current."""

    __tablename__ = "cache_generation"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
