"""Work that must happen after a transaction commits (mail delivery, events), never inside it.

A service that writes into the caller's session (an invoice and its queued email, a client
change) registers the follow-up with :func:`on_commit`; it runs once the caller's transaction has
committed and is dropped if it rolls back. The caller never has to come back for the second half.
"""

from __future__ import annotations

import logging
from typing import Callable

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_KEY = "hostsim.on_commit"
_UNDO_KEY = "hostsim.on_rollback"


def on_commit(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` after ``session``'s current transaction commits (in registration order)."""
    session.info.setdefault(_KEY, []).append(callback)


def on_rollback(session: Session, callback: Callable[[], object]) -> None:
    """Run ``callback`` if ``session``'s current transaction rolls back instead of committing: to
    undo what was done outside the database for a change that, in the end, was not saved."""
    session.info.setdefault(_UNDO_KEY, []).append(callback)


def _run(session: Session) -> None:
    session.info.pop(_UNDO_KEY, None)
    callbacks = session.info.pop(_KEY, [])
    for callback in callbacks:
        try:
            callback()
        except Exception:
            # The transaction is committed: a failed follow-up is logged, and the host's sweeps
            # (DeliverQueuedMail, the daily reconcile) finish what it could not.
            log.exception("after-commit work %r failed", callback)


def _drop(session: Session) -> None:
    session.info.pop(_KEY, None)
    for callback in session.info.pop(_UNDO_KEY, []):
        try:
            callback()
        except Exception:
            # The change is not saved; a failed undo elsewhere is what the daily reconcile reports.
            log.exception("undo of rolled-back work %r failed", callback)


def install(factory: sessionmaker[Session]) -> None:
    """Make every session of ``factory`` run its after-commit work."""
    event.listen(factory, "after_commit", _run)
    event.listen(factory, "after_rollback", _drop)
