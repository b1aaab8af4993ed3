"""Every table of the host. Import from here: ``from hostsim.db.models import Client``."""

from hostsim.db.models.accounts import (
    DISABLED_CLIENT_STATUSES,
    Admin,
    AdminRole,
    Client,
    ClientStatus,
    LoginCounter,
    LoginFailure,
    WebSession,
)
from hostsim.db.models.addons import AddonAccess, AddonModule, AddonSetting
from hostsim.db.models.billing import Currency, Invoice, InvoiceItem, InvoiceStatus, Payment
from hostsim.db.models.cron import CronLock, CronRun, CronRunStatus, CronTask
from hostsim.db.models.logs import ActivityLog, EmailLog, EmailStatus
from hostsim.db.models.payments import CreditEntry, Gateway, GatewayLog, GatewaySetting
from hostsim.db.models.reminders import InvoiceReminder
from hostsim.db.models.settings import CacheGeneration, HostSetting

__all__ = [
    "ActivityLog", "AddonAccess", "AddonModule", "AddonSetting", "Admin", "AdminRole", "Client",
    "ClientStatus", "CronLock", "CronRun", "CronTask", "Currency", "EmailLog", "HostSetting",
    "Invoice", "InvoiceItem", "InvoiceStatus", "LoginCounter", "LoginFailure", "Payment", "WebSession",
    "CronRunStatus", "EmailStatus", "DISABLED_CLIENT_STATUSES",
    "CreditEntry", "Gateway", "GatewayLog", "GatewaySetting", "InvoiceReminder", "CacheGeneration",
]
