"""The fuzz tests' shared parts: the counts they keep, what they may reach, the hosts they drive.

Every example a fuzz test tries is counted, with the answers that were 5xx, the outputs that held
a traceback and the submissions that were saved in part (see :class:`FuzzCounts`). The totals are
printed at the end of the run, one line per backend::

    fuzz [postgresql]: 1234 inputs tried, 0 5xx, 0 tracebacks, 0 partial saves

under xdist too when ``tests/fuzz`` is named on the command line (the workers hand their counts to
the controller). A whole-suite run under xdist loads this file on the workers only: each fuzz
test's counts are then in its report's ``user_properties`` (``--junitxml`` writes them).

Nothing here reaches past loopback: host names are resolved only for loopback addresses, so an
arbitrary URL typed into a form or option is refused by the resolver, never looked up or dialled.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy.engine import make_url

from tests.addon_admin.conftest import template_db  # noqa: F401 (the addon's tables on server backends)
from tests.conftest import backend_url

#: Examples per fuzz test; HOSTSIM_FUZZ_EXAMPLES scales them (e.g. 500 for a long local run).
EXAMPLES = int(os.environ.get("HOSTSIM_FUZZ_EXAMPLES", "30"))
#: Derandomized by default so CI sees the same inputs every run; HOSTSIM_FUZZ_RANDOM=1 explores.
FUZZ = settings(max_examples=EXAMPLES, deadline=None, database=None,
                derandomize=os.environ.get("HOSTSIM_FUZZ_RANDOM", "") != "1",
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                       HealthCheck.data_too_large, HealthCheck.filter_too_much])


def fuzzing(kinds: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """``@given(data=st.data())`` with ``EXAMPLES`` examples for each of ``kinds`` forms or commands the
    test draws from (one test per fixture keeps the setup, costly on server backends, to a few).
    Marked slow: each runs for several seconds."""
    from hypothesis import given
    from hypothesis import strategies as st

    def wrap(test: Callable[..., None]) -> Callable[..., None]:
        fuzzed = settings(FUZZ, max_examples=EXAMPLES * kinds)(given(data=st.data())(test))
        return pytest.mark.slow(fuzzed)  # type: ignore[no-any-return]

    return wrap


@dataclass
class FuzzCounts:
    """What the fuzz tests tried and found: inputs, 5xx answers, tracebacks, partial saves."""

    tried: int = 0
    server_errors: int = 0
    tracebacks: int = 0
    partial_saves: int = 0
    findings: list[str] = field(default_factory=list)
    #: How the inputs were answered: HTTP status or "exit N" -> count (a run that only ever
    #: refuses would be a weak fuzz).
    outcomes: dict[str, int] = field(default_factory=dict)

    def add(self, other: "FuzzCounts") -> None:
        self.tried += other.tried
        for key, n in other.outcomes.items():
            self.outcomes[key] = self.outcomes.get(key, 0) + n
        self.server_errors += other.server_errors
        self.tracebacks += other.tracebacks
        self.partial_saves += other.partial_saves
        self.findings.extend(other.findings)

    def line(self, backend: str) -> str:
        return (f"fuzz [{backend}]: {self.tried} inputs tried, {self.server_errors} 5xx, {self.tracebacks} tracebacks, "
                f"{self.partial_saves} partial saves")


#: This process's totals.
TOTALS = FuzzCounts()


def backend_name() -> str:
    return make_url(backend_url()).get_backend_name()


class Tally:
    """One fuzz test's counter: ``tried()`` per example, ``server_error``/``traceback``/``partial``
    for what it found (each also fails the example, so Hypothesis shows the input)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.counts = FuzzCounts()

    def tried(self, outcome: str) -> None:
        self.counts.tried += 1
        self.counts.outcomes[outcome] = self.counts.outcomes.get(outcome, 0) + 1

    def _found(self, kind: str, what: str) -> str:
        text = f"{self.name}: {kind}: {what}"
        self.counts.findings.append(text[:2000])
        return text

    def server_error(self, what: str) -> str:
        self.counts.server_errors += 1
        return self._found("5xx", what)

    def traceback(self, what: str) -> str:
        self.counts.tracebacks += 1
        return self._found("traceback", what)

    def partial(self, what: str) -> str:
        self.counts.partial_saves += 1
        return self._found("partial save", what)


def unchanged(tally: Tally, what: str, before: Any, after: Any) -> None:
    """A refused input must leave the rows as they were."""
    if before != after:
        raise AssertionError(tally.partial(f"{what}: refused, yet rows changed"))


def whole(tally: Tally, what: str, mismatches: dict[str, Any]) -> None:
    """An accepted input must be saved whole: ``mismatches`` is what was not."""
    if mismatches:
        raise AssertionError(tally.partial(f"{what}: saved without {mismatches!r}"))


@pytest.fixture
def tally(request: pytest.FixtureRequest) -> Iterator[Tally]:
    counter = Tally(request.node.name)
    yield counter
    TOTALS.add(counter.counts)
    c = counter.counts
    request.node.user_properties.append(("fuzz", {"backend": backend_name(), **asdict(c), "findings": c.findings[:20]}))


# --- nothing past loopback ----------------------------------------------------------------------

LOOPBACK = {"localhost", "127.0.0.1", "::1", "ip6-localhost"}


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    real = socket.getaddrinfo

    def resolve(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host) if host is not None else ""
        if name.lower().rstrip(".") not in LOOPBACK:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (fuzz tests reach loopback only)")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)


# --- the summary ------------------------------------------------------------------------------------


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["hostsim_fuzz"] = asdict(TOTALS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    data = getattr(node, "workeroutput", {}).get("hostsim_fuzz")
    if data:
        TOTALS.add(FuzzCounts(**data))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if getattr(terminalreporter.config, "workeroutput", None) is not None or not TOTALS.tried:
        return
    terminalreporter.write_sep("-", "fuzz")
    terminalreporter.write_line(TOTALS.line(backend_name()))
    terminalreporter.write_line("  answers: " + ", ".join(f"{k} x {n}" for k, n in sorted(TOTALS.outcomes.items())))
    for finding in TOTALS.findings[:30]:
        terminalreporter.write_line(f"  {finding}")


# --- helpers the fuzz tests share ---------------------------------------------------------------------


def snapshot(host: Any, *models: Any, where: Callable[[Any], Any] | None = None) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of ``models`` (all columns), sorted: compared before and after a submission."""
    from sqlalchemy import select

    rows: dict[str, list[tuple[Any, ...]]] = {}
    with host.sessions() as s:
        for model in models:
            table = model.__table__
            stmt = select(*table.columns)
            if where is not None:
                clause = where(model)
                if clause is not None:
                    stmt = stmt.where(clause)
            rows[table.name] = sorted((tuple(r) for r in s.execute(stmt).all()), key=repr)
    return rows
