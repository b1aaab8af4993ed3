"""Shared fixtures: a migrated database on the backend under test, a Host over it, the
``hostsim`` command run in-process, and headless Chromium for the browser tests.

The backend comes from ``HOSTSIM_TEST_DATABASE_URL`` (default: SQLite files in a temp folder).
For PostgreSQL and MariaDB the URL names a server and a database to connect to first; each
pytest worker creates and migrates a database of its own there, and every test starts from
empty tables.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from hostsim.cli import main
from hostsim.clock import clock
from hostsim.config import HostConfig
from hostsim.db.base import Base
from hostsim.db.engine import make_engine
from hostsim.host import Host
from hostsim.plugins.manager import get_plugin_manager
from hostsim.services.bootstrap import init_instance

os.environ.setdefault("HOSTSIM_DISABLE_ADDON_AUTOLOAD", "1")


def backend_url() -> str:
    return os.environ.get("HOSTSIM_TEST_DATABASE_URL", "sqlite://")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "gw0")


def _server_database(base: str, name: str) -> str:
    """Create (fresh) database ``name`` on the server of ``base`` and return its URL."""
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if url.get_backend_name() == "postgresql":
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
            conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def _drop_server_database(url: str) -> None:
    parsed = make_url(url)
    admin = create_engine(parsed.set(database=make_url(backend_url()).database), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if parsed.get_backend_name() == "postgresql":
            conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)'))
        else:
            conn.execute(text(f"DROP DATABASE IF EXISTS `{parsed.database}`"))
    admin.dispose()


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated, seeded database (SQLite: a file to copy; servers: this process's database,
    named after the worker and the pid so concurrent runs on one server never collide)."""
    base = backend_url()
    if base.startswith("sqlite"):
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = _server_database(base, f"hostsim_test_{_worker()}_{os.getpid()}")
    home = tmp_path_factory.mktemp("template-home")
    host = Host(HostConfig.from_env(home=home, database_url=url), pm=get_plugin_manager(autoload=False))
    init_instance(host)
    host.engine.dispose()
    yield url
    if not base.startswith("sqlite"):
        _drop_server_database(url)


def _truncate(engine: Engine) -> None:
    """Empty every table but keep the schema, the seeded roles and currencies, and the cache
    generation row (without it nothing would be cached between requests)."""
    keep = {"admin_roles", "currencies", "alembic_version", "cache_generation"}
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        existing = set(_all_tables(conn))
        names = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name in existing and t.name not in keep]
        extra = [n for n in existing if n not in keep and n not in names]
        for name in extra + names:
            if engine.dialect.name == "postgresql":
                conn.execute(text(f'TRUNCATE TABLE "{name}" RESTART IDENTITY CASCADE'))
            elif engine.dialect.name == "mysql":
                conn.execute(text(f"TRUNCATE TABLE `{name}`"))
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
        _reset_currencies(conn)


def _reset_currencies(conn) -> None:  # type: ignore[no-untyped-def]
    """The currencies as ``hostsim init`` seeds them: a test that added one (XTS) or changed one
    (deactivated EUR) must not hand that to the next test on a server backend."""
    from sqlalchemy import delete, update

    from hostsim.db.models import Currency
    from hostsim.services.bootstrap import SEEDED_CURRENCIES

    conn.execute(delete(Currency).where(Currency.code.not_in([c[0] for c in SEEDED_CURRENCIES])))
    for code, prefix, suffix, rate, default in SEEDED_CURRENCIES:
        conn.execute(update(Currency).where(Currency.code == code)
                     .values(prefix=prefix, suffix=suffix, rate=rate, is_default=default, active=True))


def _all_tables(conn) -> list[str]:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect
    return [n for n in inspect(conn).get_table_names() if not n.startswith("alembic_version")]


@pytest.fixture
def db_url(template_db: str, tmp_path: Path) -> Iterator[str]:
    if template_db.startswith("sqlite"):
        target = tmp_path / "hostsim.sqlite3"
        shutil.copy(make_url(template_db).database, target)  # type: ignore[arg-type]
        yield f"sqlite:///{target}"
        return
    engine = make_engine(template_db)
    _truncate(engine)
    engine.dispose()
    yield template_db


@pytest.fixture(autouse=True)
def _reset_clock() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def make_host(db_url: str, tmp_path: Path) -> Iterator[Callable[..., Host]]:
    """Build a Host over the test database with exactly the addons given as (name, plugin)."""
    hosts: list[Host] = []

    def factory(*addons: tuple[str, object], home: Path | None = None) -> Host:
        config = HostConfig.from_env(home=home or tmp_path / "home", database_url=db_url)
        host = Host(config, pm=get_plugin_manager(autoload=False, addons=addons))
        hosts.append(host)
        return host

    yield factory
    for host in hosts:
        host.engine.dispose()


@pytest.fixture
def host(make_host: Callable[..., Host]) -> Host:
    return make_host()


@pytest.fixture
def cli() -> Callable[..., Result]:
    """Run ``hostsim`` in-process on the given Host: ``cli(host, "cron", "all")``."""

    def invoke(host: Host, *args: str, input: str | None = None, **kwargs: Any) -> Result:
        return CliRunner().invoke(main, list(args), obj=host, input=input, **kwargs)

    return invoke


#: How every browser test launches Chromium: the system's build, headless, nothing in the
#: background (no updates, sync or first-run pages) that could slow a page down or go online.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium per test process (each test opens its own context)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield instance
        instance.close()
