"""General host settings (company, active theme, SMTP, terms URL, cron hour) as key/value rows."""

from __future__ import annotations

from sqlalchemy import Boolean, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base


class HostSetting(Base):
    __tablename__ = "host_settings"
    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text, default="")
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)
