"""The public addon API: the only part of ``hostsim`` an addon imports.

Everything an addon may rely on is exported here (its web helpers in :mod:`hostsim.addon_api.web`,
kept apart so domain code never loads Flask) and documented in ``docs/addon-api.md``; a test
keeps the two in step. Anything else in ``hostsim`` is private and may change without notice.

* the ``hookimpl`` marker and the values hooks take and return;
* :class:`Host`, the facade every hook receives;
* read models of the host's tables (query them; change them only through :class:`Host`);
* the database base class, the column types and helpers an addon's own tables need;
* the Alembic helpers for an addon's own migration history;
* paging and money formatting;
* the command line's parameter type for the id of a row.
"""

from hostsim.addon_api.caching import cached_read, watch_tables
from hostsim.addon_api.host import Host
from hostsim.cli.state import RecordId
from hostsim.clock import Clock
from hostsim.cron.context import CronContext, CronTaskSpec
from hostsim.db.base import Base, UTCDateTime, table_of
from hostsim.db.locking import get_for_update
from hostsim.db.migrate import current_revision
from hostsim.db.migrate import run_env as run_migrations_env
from hostsim.db.migrate import upgrade as upgrade_migrations
from hostsim.db.models import Client, ClientStatus, CronRun, CronRunStatus, Currency, Invoice, InvoiceItem, InvoiceStatus
from hostsim.db.paging import Page, clamp_page, query_page
from hostsim.db.retry import retry_on_conflict
from hostsim.db.types import ExactDecimal, str_enum
from hostsim.formatting import date as format_date
from hostsim.formatting import unit_price as format_unit_price
from hostsim.money import format_money, parse_decimal, round_money
from hostsim.plugins.markers import hookimpl
from hostsim.plugins.types import (
    ActivationResult,
    AddonConfig,
    AdminPage,
    AdminWidget,
    Chart,
    ChartSeries,
    ClientAreaPage,
    ClientAreaRequest,
    ConfigField,
    JsonAnswer,
)
from hostsim.services.clients import ClientError, normalise_email
from hostsim.services.invoices import CreatedInvoice, InvoiceError, InvoiceSpec, NewItem
from hostsim.services.mail import Outgoing
from hostsim.services.menus import MenuItem
from hostsim.services.passwords import password_problem
from hostsim.services.worker_processes import WorkerExit

__all__ = [
    # hooks and the values they exchange
    "hookimpl", "AddonConfig", "ConfigField", "ActivationResult", "AdminPage", "ClientAreaRequest",
    "ClientAreaPage", "JsonAnswer", "CronContext", "CronTaskSpec", "MenuItem", "AdminWidget", "Chart", "ChartSeries",
    # the host
    "Host", "Clock", "WorkerExit", "ClientError", "InvoiceError", "InvoiceSpec", "NewItem", "CreatedInvoice", "Outgoing",
    "normalise_email", "password_problem", "cached_read", "watch_tables",
    # read models of the host's tables
    "Client", "ClientStatus", "Currency", "Invoice", "InvoiceItem", "InvoiceStatus", "CronRun", "CronRunStatus",
    # an addon's own tables
    "Base", "UTCDateTime", "ExactDecimal", "str_enum", "table_of", "get_for_update", "retry_on_conflict",
    # migrations
    "upgrade_migrations", "current_revision", "run_migrations_env",
    # paging and money
    "Page", "clamp_page", "query_page", "format_money", "format_unit_price", "format_date", "parse_decimal", "round_money",
    # the command line
    "RecordId",
]
