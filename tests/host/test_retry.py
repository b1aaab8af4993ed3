"""Transactions aborted by a deadlock are run again; other errors are not."""

from __future__ import annotations

import pymysql
import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from hostsim.db.retry import is_conflict, retry_on_conflict


class PgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(sqlstate)
        self.sqlstate = sqlstate


def deadlock() -> OperationalError:
    return OperationalError("INSERT ...", {}, pymysql.err.OperationalError(1213, "Deadlock found"))


def test_conflicts_are_recognised_per_backend():
    assert is_conflict(deadlock())
    assert is_conflict(OperationalError("x", {}, PgError("40P01")))
    assert is_conflict(OperationalError("x", {}, PgError("40001")))
    assert not is_conflict(OperationalError("x", {}, PgError("23505")))
    assert not is_conflict(IntegrityError("x", {}, pymysql.err.IntegrityError(1062, "Duplicate entry")))
    assert not is_conflict(ValueError("not a database error"))


def test_a_deadlocked_transaction_is_run_again():
    calls = []

    def work():
        calls.append(1)
        if len(calls) < 3:
            raise deadlock()
        return "committed"

    assert retry_on_conflict(work, pause=0.001) == "committed"
    assert len(calls) == 3


def test_other_errors_and_exhausted_retries_are_raised():
    with pytest.raises(IntegrityError):
        retry_on_conflict(lambda: (_ for _ in ()).throw(IntegrityError("x", {}, Exception("dup"))), pause=0.001)
    calls = []

    def always():
        calls.append(1)
        raise deadlock()

    with pytest.raises(OperationalError):
        retry_on_conflict(always, attempts=4, pause=0.001)
    assert len(calls) == 4
