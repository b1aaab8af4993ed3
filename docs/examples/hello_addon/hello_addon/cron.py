"""The ``HelloDigest`` cron task: how many clients have an unpaid invoice, in the activity log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import distinct, func, select

from hello_addon import MODULE
from hostsim.addon_api import Client, CronTaskSpec, Invoice, InvoiceStatus, hookimpl

if TYPE_CHECKING:
    from hostsim.addon_api import CronContext, Host


def digest(host: Host, ctx: CronContext) -> None:
    """Count the clients, and those with at least one unpaid invoice; log and report both."""
    with host.sessions() as s:
        clients = int(s.scalar(select(func.count()).select_from(Client)) or 0)
        owing = int(s.scalar(select(func.count(distinct(Client.id)))
                             .join(Invoice, Invoice.client_id == Client.id)
                             .where(Invoice.status == InvoiceStatus.UNPAID)) or 0)
    message = f"Hello digest {ctx.today.isoformat()}: {owing} of {clients} client(s) have an unpaid invoice"
    host.activity.log(message)
    ctx.say(1, message)
    ctx.counters.update(clients=clients, unpaid=owing)


@hookimpl
def register_cron_tasks(host: Host) -> list[CronTaskSpec]:
    # The task closes over the ``host`` this hook received: a CronContext carries none.
    return [CronTaskSpec(name="HelloDigest", run=lambda ctx: digest(host, ctx), module=MODULE,
                         description="Log how many clients have an unpaid invoice", frequency_minutes=1440)]
