"""The story's closing summary: clients, invoices, SolusIO users, cron runs and emails, read
back from the instance and the simulator (not from what the story meant to do)."""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import select

from hostsim.addon_api import CronRun, Invoice, format_money
from solusio_addon.billing.automation import TASK_NAME

if TYPE_CHECKING:
    from solusio_addon.demo.story import Demo


def summarise(demo: "Demo", seconds: float) -> None:
    """Print the summary section; ``seconds`` is how long the story took."""
    with demo.host.sessions() as s:
        invoices = [(i.currency.code, i.total, i.status.value) for i in s.scalars(select(Invoice))]
        runs = list(s.scalars(select(CronRun.as_of).where(CronRun.task_name == TASK_NAME).order_by(CronRun.id)))
    subjects = Counter(re.sub(r"#\d+", "#N", email.subject) for email in demo.instance.emails())
    totals: dict[str, list[Decimal]] = {}
    for code, total, _status in invoices:
        totals.setdefault(code, []).append(total)
    statuses = Counter(status for _c, _t, status in invoices)
    demo.section("Summary")
    demo.say(f"Clients:        {len(demo.clients)}, all signed up through the landing page and the emailed link")
    per_currency = "; ".join(f"{code}: {len(v)} for {format_money(sum(v, Decimal('0')), code)}"
                             for code, v in sorted(totals.items()))
    demo.say(f"Invoices:       {len(invoices)} ({', '.join(f'{n} {st}' for st, n in sorted(statuses.items()))}) "
             f"- {per_currency}")
    users = ", ".join(f"{c.persona.first_name} {demo.sim.state.get_user(c.solusio_user_id).status}"
                      for c in demo.clients)
    demo.say(f"SolusIO users:  {users}")
    methods = Counter(p.method_name for p in demo.instance.payments())
    demo.say(f"Payments:       {sum(methods.values())} - "
             + ", ".join(f"{name}: {n}" for name, n in sorted(methods.items())))
    demo.say(f"Cron runs:      {len(runs)} x {TASK_NAME} (as of {', '.join(d.isoformat() for d in runs)})")
    demo.say(f"Emails:         {sum(subjects.values())}, kept in the email log (no SMTP configured):")
    for subject, count in sorted(subjects.items(), key=lambda kv: (-kv[1], kv[0])):
        demo.say(f"                {count} x {subject}")
    demo.say(f"Instance:       {demo.instance.home}")
    demo.say(f"Time taken:     {seconds:.1f} s")
