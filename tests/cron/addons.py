"""Small test addons for the cron and CLI tests."""

from __future__ import annotations

from typing import Any, Callable

import click

from hostsim.addon_api import AddonConfig, ConfigField, CronContext, CronTaskSpec, hookimpl


class Demo:
    """An addon with config fields, cron tasks, the three cron hooks and a CLI command."""

    def __init__(self, name: str = "demo", tasks: dict[str, Callable[[CronContext], None]] | None = None,
                 frequency: int = 1440) -> None:
        self.name = name
        self.events: list[str] = []
        self.tasks = tasks if tasks is not None else {"DemoTask": self.demo_task}
        self.frequency = frequency

    def demo_task(self, ctx: CronContext) -> None:
        self.events.append(f"task:DemoTask:{ctx.today.isoformat()}")
        ctx.counters["invoices"] = 3
        ctx.say(1, "demo task says hello")

    @hookimpl
    def addon_config(self) -> AddonConfig:
        return AddonConfig(name=self.name.title(), version="1.2.0", fields=(
            ConfigField("url", "Installation URL", "text", default="https://example.test"),
            ConfigField("api_key", "API Key", "password"),
            ConfigField("enabled", "Enabled", "yesno", default="on"),
            ConfigField("region", "Region", "dropdown", default="eu", options=("eu", "us")),
            ConfigField("grace_days", "Grace days", "text", default="7"),
        ))

    @hookimpl
    def register_cron_tasks(self, host: Any) -> list[CronTaskSpec]:
        return [CronTaskSpec(name=name, run=self._wrap(name, fn), module=self.name,
                             frequency_minutes=self.frequency, priority=100 + i)
                for i, (name, fn) in enumerate(self.tasks.items())]

    def _wrap(self, name: str, fn: Callable[[CronContext], None]) -> Callable[[CronContext], None]:
        def run(ctx: CronContext) -> None:
            if fn != self.demo_task:
                self.events.append(f"task:{name}")
            fn(ctx)
        return run

    @hookimpl
    def pre_cron_job(self, host: Any, ctx: CronContext) -> None:
        self.events.append("pre")

    @hookimpl
    def daily_cron_job(self, host: Any, ctx: CronContext) -> None:
        self.events.append(f"daily:{ctx.today.isoformat()}")

    @hookimpl
    def after_cron_job(self, host: Any, ctx: CronContext) -> None:
        self.events.append("after")

    @hookimpl
    def addon_cli(self, host: Any) -> click.Command:
        @click.group(help=f"Commands of the {self.name} addon.")
        def group() -> None:
            pass

        @group.command()
        def hello() -> None:
            click.echo(f"hello from {self.name}, region {host.addon_settings.get_all(self.name)['region']}")

        return group


def failing(ctx: CronContext) -> None:
    raise RuntimeError("the API said no")


def partly_failing(ctx: CronContext) -> None:
    ctx.counters.update({"invoices": 4, "failed": 1})


def ok(ctx: CronContext) -> None:
    ctx.counters["ok"] = 1
