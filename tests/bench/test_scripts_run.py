"""The benchmark scripts still run, at a tiny size: a change to what they call must not leave
them broken until the next measurement (bench/reconcile.py once was). Figures are not checked
here, only that each script completes and prints its report."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTSIM_")}
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def test_reconcile_benchmark_runs() -> None:
    out = run("bench/reconcile.py", "--clients", "200", "--latency-ms", "0")
    assert "report only" in out and "--fix again" in out and "repaired 0" in out


def test_billing_benchmark_runs_and_checks_its_mail() -> None:
    out = run("bench/billing_run.py", "--clients", "30", "--latency-ms", "0")
    assert "30 invoices, 30 emails delivered once each" in out and "full run / fetch-only" in out


def test_web_load_benchmark_runs() -> None:
    out = run("bench/web_load.py", "--clients", "20", "--seconds", "1", "--concurrency", "2", "--page", "landing")
    assert "landing" in out and "errors" in out
