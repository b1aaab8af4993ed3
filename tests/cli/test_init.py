"""``hostsim init`` and ``hostsim demo`` on a fresh instance, in-process and as a real process."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import create_engine, select

from hostsim.cli import main
from hostsim.db.models import Admin

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input)


def admins(url: str) -> list[str]:
    engine = create_engine(url)
    with engine.connect() as conn:
        names = list(conn.scalars(select(Admin.username)))
    engine.dispose()
    return names


def test_init_twice_is_idempotent(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    first = run("--home", str(home), "init")
    assert first.exit_code == 0, first.output
    passwords = re.findall(r"shown only once, store it now\): (\S+)", first.stdout)
    assert len(passwords) == 1
    url = f"sqlite:///{home / 'hostsim.sqlite3'}"
    assert admins(url) == ["admin"]
    assert (home / "secret.key").exists()

    second = run("--home", str(home), "init")
    assert second.exit_code == 0, second.output
    assert "none created" in second.stdout
    assert passwords[0] not in second.output and "shown only once" not in second.output
    assert admins(url) == ["admin"]


def test_init_with_password_from_stdin(tmp_path: Path) -> None:
    home = tmp_path / "inst"
    result = run("--home", str(home), "init", "--admin-username", "boss", "--admin-email", "boss@example.com",
                 "--admin-password-stdin", input="Very-Secret-42\n")
    assert result.exit_code == 0, result.output
    assert "Very-Secret-42" not in result.output and "shown only once" not in result.output
    assert admins(f"sqlite:///{home / 'hostsim.sqlite3'}") == ["boss"]


def test_init_bad_admin_options(tmp_path: Path) -> None:
    result = run("--home", str(tmp_path / "a"), "init", "--admin-email", "nope")
    assert result.exit_code == 2
    assert "--admin-email: enter a valid email address" in result.stderr
    result = run("--home", str(tmp_path / "b"), "init", "--admin-password-stdin", input="short\n")
    assert result.exit_code == 2
    assert "--admin-password-stdin: use at least" in result.stderr
    assert "Traceback" not in result.output


def test_commands_before_init_say_so(tmp_path: Path) -> None:
    home = tmp_path / "nothing"
    for args in (["cron", "all"], ["addon", "list"], ["settings", "show"]):
        result = run("--home", str(home), *args)
        assert result.exit_code == 2
        assert "run 'hostsim init' first" in result.stderr
    assert not home.exists()


def test_real_console_script(tmp_path: Path) -> None:
    """The installed ``hostsim`` script: help before init creates nothing; init twice."""
    script = Path(sys.executable).with_name("hostsim")
    env = {**os.environ, "HOSTSIM_DISABLE_ADDON_AUTOLOAD": "1", "HOSTSIM_HOME": str(tmp_path / "inst")}
    env.pop("HOSTSIM_DATABASE_URL", None)
    helped = subprocess.run([str(script), "--help"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert helped.returncode == 0 and "cron" in helped.stdout
    assert not (tmp_path / "inst").exists()
    for _ in range(2):
        done = subprocess.run([str(script), "init"], cwd=tmp_path, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert "none created" in done.stdout
    cron = subprocess.run([str(script), "cron", "all", "-v"], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert cron.returncode == 0, cron.stderr
    assert "PruneLoginFailures: success" in cron.stdout
