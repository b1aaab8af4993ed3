"""Addon module state, as WHMCS keeps it: active modules, their settings and role-group access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hostsim.db.base import Base, UTCDateTime


class AddonModule(Base):
    """One row per ACTIVE addon; deactivation deletes it (with its settings and access)."""

    __tablename__ = "addon_modules"
    module: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[str] = mapped_column(String(32))
    activated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AddonSetting(Base):
    __tablename__ = "addon_settings"
    __table_args__ = (UniqueConstraint("module", "setting"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    module: Mapped[str] = mapped_column(ForeignKey("addon_modules.module", ondelete="CASCADE"), index=True)
    setting: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(Text, default="")
    encrypted: Mapped[bool] = mapped_column(Boolean, default=False)


class AddonAccess(Base):
    __tablename__ = "addon_access"
    module: Mapped[str] = mapped_column(ForeignKey("addon_modules.module", ondelete="CASCADE"), primary_key=True)
    role_id: Mapped[int] = mapped_column(ForeignKey("admin_roles.id", ondelete="CASCADE"), primary_key=True)
