"""Submitting fuzzed forms and commands: every answer is checked for a 5xx and a traceback, and
counted (see ``conftest.Tally``)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from tests.fuzz.conftest import Tally
from tests.fuzz.strategies import form_body

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
URLENCODED = "application/x-www-form-urlencoded"


def csrf_of(client: FlaskClient, url: str) -> str:
    page = client.get(url)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


def checked(tally: Tally, what: str, response: Any) -> Any:
    """``response`` after counting it; AssertionError (counted) for a 5xx or a traceback."""
    tally.tried(str(response.status_code))
    html = response.get_data(as_text=True)
    if response.status_code >= 500:
        raise AssertionError(tally.server_error(f"{what} -> {response.status_code}"))
    if "Traceback (most recent call last)" in html:
        raise AssertionError(tally.traceback(what))
    return response


def post(tally: Tally, client: FlaskClient, url: str, fields: dict[str, Any], token: str) -> Any:
    """POST ``fields`` (with the CSRF token) URL-encoded, as a browser or a broken client would."""
    body = form_body({"csrf_token": token, **fields})
    return checked(tally, f"POST {url} {fields!r}", client.post(url, data=body, content_type=URLENCODED))


def get(tally: Tally, client: FlaskClient, path: str, args: dict[str, str]) -> Any:
    """GET ``path`` with ``args`` in the query string (lone surrogates as their bytes)."""
    query = urlencode(list(args.items()), encoding="utf-8", errors="surrogatepass")
    sep = "&" if "?" in path else "?"
    return checked(tally, f"GET {path} {args!r}", client.get(f"{path}{sep}{query}" if query else path))


def run_cli(tally: Tally, host: Any, args: list[str], *, input: str | bytes | None = None) -> Result:
    """``hostsim ARGS`` in-process: exit 0, 1 or 2, and never a traceback (counted)."""
    from hostsim.cli import main

    if isinstance(input, str):  # a lone surrogate reaches stdin as the bytes a broken client would send
        input = input.encode("utf-8", "surrogatepass")
    result = CliRunner().invoke(main, args, obj=host, input=input)
    tally.tried(f"exit {result.exit_code}")
    unexpected = result.exception is not None and not isinstance(result.exception, SystemExit)
    if unexpected or "Traceback" in result.output:
        raise AssertionError(tally.traceback(f"hostsim {args!r}: {result.exception!r}\n{result.output[-1500:]}"))
    if result.exit_code not in (0, 1, 2):
        raise AssertionError(tally.traceback(f"hostsim {args!r}: exit {result.exit_code}\n{result.output[-500:]}"))
    return result
