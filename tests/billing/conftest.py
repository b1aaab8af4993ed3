"""A host with the SolusIO addon active and connected to a simulator, with helpers to enrol
clients that have servers in SolusIO.

``World.host`` is the host's core (CLI, payments, the raw database); ``World.api`` its facade, the
host the addon's own functions (``Automation``, settings, prices) are given, as its hooks are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from typing import Iterator

import pytest
from sqlalchemy import select

import solusio_addon.plugin
from hostsim.addon_api import Host as AddonHost
from hostsim.db.models import Client, Currency
from hostsim.host import Host
from hostsim.services.clients import create_client
from solusio_addon.admin import settings as addon_settings
from solusio_addon.admin.pricing import save_prices
from solusio_addon.billing.automation import Automation
from solusio_addon.billing.hooks import policy_from_settings
from solusio_addon.db.models import Enrolment, EnrolmentStatus
from solusio_addon.solusio_api import SolusioClient
from solusio_sim import SimServer

UTC = timezone.utc


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer() as server:
        server.state.clock.set(at("2026-08-01T00:30:00"))
        yield server


@dataclass
class World:
    host: Host
    sim: SimServer
    plan_id: int

    @property
    def api(self) -> AddonHost:
        return self.host.addon_api

    def currency_id(self, code: str) -> int:
        with self.host.sessions() as s:
            return s.scalars(select(Currency.id).where(Currency.code == code)).one()

    def set_prices(self, **prices: str) -> None:
        save_prices(self.api, {self.currency_id(code): Decimal(p) for code, p in prices.items()})

    def enrol(self, email: str, *, currency: str = "USD", enrolled: str = "2026-07-01T09:00:00") -> tuple[int, int]:
        """A host client and its SolusIO user, enrolled; returns (client id, SolusIO user id)."""
        host = self.host
        with host.transaction() as s:
            client = create_client(s, first_name="Test", last_name="Client", email=email, password="Str0ng-pass!",
                                   currency_code=currency, now=at(enrolled))
            user = self.sim.state.add_user(email, billing_user_id=client.id)
            s.add(Enrolment(client_id=client.id, solusio_user_id=user.id, status=EnrolmentStatus.ACTIVE,
                            created_at=at(enrolled)))
            return client.id, user.id

    def enrol_many(self, emails: list[str], *, currency: str = "USD",
                   enrolled: str = "2026-07-01T09:00:00") -> list[tuple[int, int]]:
        """Like ``enrol`` for many clients in one transaction, without hashing a password each
        (the clients never log in): fast enough for runs over dozens of clients."""
        host = self.host
        with host.transaction() as s:
            currency_id = s.scalars(select(Currency.id).where(Currency.code == currency)).one()
            pairs = []
            for email in emails:
                client = Client(first_name="Test", last_name="Client", email=email, password_hash="!",
                                currency_id=currency_id, created_at=at(enrolled))
                s.add(client)
                s.flush()
                user = self.sim.state.add_user(email, billing_user_id=client.id)
                s.add(Enrolment(client_id=client.id, solusio_user_id=user.id, status=EnrolmentStatus.ACTIVE,
                                created_at=at(enrolled)))
                pairs.append((client.id, user.id))
        return pairs

    def server(self, user_id: int, start: str, stop: str | None = None, *, name: str = "web-1") -> int:
        server = self.sim.state.add_server(user_id, self.plan_id, name=name, created_at=at(start))
        if stop:
            self.sim.state.stop_server(server.id, at=at(stop))
        return server.id

    def automation(self, **kwargs: object) -> Automation:
        """The run the cron task makes, with a client that retries quickly (tests wait less)."""
        solusio = SolusioClient(self.sim.url, self.sim.admin_token, retries=2, backoff=0.01)
        return Automation(self.api, solusio, policy_from_settings(self.api), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def world(make_host, sim) -> World:
    host = make_host(("solusio", solusio_addon.plugin))
    assert host.lifecycle.activate("solusio").status == "success"
    addon_settings.save_connection(host.addon_api,
                                   addon_settings.ConnectionSettings(url=sim.url, api_key=sim.admin_token))
    plan = sim.state.add_plan("Small", tokens_per_hour=7, tokens_per_month=5000)
    return World(host, sim, plan.id)
