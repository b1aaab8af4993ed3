"""The admin activity log: every change an admin, the system or an addon makes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hostsim.db.models import ActivityLog

if TYPE_CHECKING:
    from hostsim.host import Host


class ActivityLogger:
    def __init__(self, host: "Host") -> None:
        self.host = host

    def log(self, description: str, *, actor: str = "System", admin_id: int | None = None,
            client_id: int | None = None, ip: str = "", session: Session | None = None) -> None:
        """Record one entry; inside ``session`` when given, so it commits (or not) with the change."""
        entry = ActivityLog(created_at=self.host.clock.now(), actor=actor, admin_id=admin_id,
                            client_id=client_id, ip=ip, description=description)
        if session is not None:
            session.add(entry)
            return
        with self.host.transaction() as s:
            s.add(entry)
