"""HTTP transport of the SolusIO API client: URL handling, headers, retries, error mapping.

Contract: docs/solusio-api.md, section "Transport" and "Status codes and errors".

Thread safety: one ``Transport`` owns one ``requests.Session`` with a connection pool of
``pool_maxsize`` connections per host, shared by every thread. The session is configured once,
in ``__init__``, and never mutated afterwards (the Authorization header is passed per request,
cookies are refused), which is the usage pattern that ``requests`` supports across threads.

Retry policy (contract "Transport": the official Go SDK retries transport errors and 5xx):
* A connection that could not be opened (refused, DNS failure, connect timeout) never carried the
  request: urllib3's ``Retry`` in the ``HTTPAdapter`` retries it for every method, with backoff.
* After the request may have reached the server (read timeout, dropped connection, 500/502/503/504)
  only GET/HEAD/PUT/PATCH/DELETE are retried here, never POST (``idempotent=False``).
* 429 is retried for every method (the server refused the request without processing it),
  waiting ``Retry-After`` (seconds or HTTP date). A wait longer than ``max_retry_after`` is not
  slept: ``SolusioRateLimited`` is raised at once with ``retry_after`` for the caller to schedule.
* Redirects are never followed (a redirected POST would silently become a GET): they are reported.
"""

from __future__ import annotations

import email.utils
import http.cookiejar
import json as jsonlib
import logging
import os
import random
import time
from datetime import datetime, timezone
from typing import Any, Iterable, Mapping
from urllib.parse import quote, urljoin, urlsplit

import requests
import urllib3.exceptions as u3exc
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .errors import (
    SolusioAuthError,
    SolusioBadResponse,
    SolusioConfigError,
    SolusioConnectionError,
    SolusioError,
    SolusioNotFound,
    SolusioPermissionError,
    SolusioRateLimited,
    SolusioServerError,
    SolusioTimeout,
    SolusioTLSError,
    SolusioValidationError,
)

log = logging.getLogger("solusio_addon.solusio_api")

# contract "Transport": the API lives under <installation URL>/api/v1/
API_PATH = "/api/v1/"
USER_AGENT = "hostsim-solusio-addon"
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
_REDACTED = "***"


def normalize_base_url(url: str) -> str:
    """Turn what the admin typed into ``<scheme>://<host>[:port][/path]/api/v1/``.

    Accepts surrounding whitespace, a trailing ``/``, and a URL that already ends with
    ``/api/v1`` (or ``/api/v1/``). Raises ``SolusioConfigError`` with a readable sentence when the
    URL has no scheme, a scheme other than http/https, or no host.
    """
    if not isinstance(url, str) or not url.strip():
        raise SolusioConfigError("The SolusIO installation URL is empty: enter the URL of the SolusIO web interface, e.g. https://solus.example.com.")
    text = url.strip()
    if any(ch.isspace() for ch in text):
        raise SolusioConfigError(f"The SolusIO installation URL {text!r} contains spaces: enter it as a single address, e.g. https://solus.example.com.")
    if "://" not in text:
        raise SolusioConfigError(
            f"The SolusIO installation URL {text!r} has no scheme: write it in full, e.g. https://{text.lstrip('/')}."
        )
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise SolusioConfigError(f"The SolusIO installation URL {text!r} is not a valid URL (check the host name and port).") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SolusioConfigError(
            f"The SolusIO installation URL {text!r} must start with https:// (or http://), not {parts.scheme}://."
        )
    if not parts.hostname:
        raise SolusioConfigError(f"The SolusIO installation URL {text!r} has no host name, e.g. https://solus.example.com.")
    netloc = parts.netloc if "@" in parts.netloc else parts.netloc.lower()
    path = parts.path.rstrip("/")
    if path.lower().endswith("/api/v1"):
        path = path[: -len("/api/v1")].rstrip("/")
    return f"{scheme}://{netloc}{path}{API_PATH}"


def installation_url(api_base: str) -> str:
    """The installation (web UI) URL of a normalised API base, without a trailing slash."""
    return api_base[: -len(API_PATH)] if api_base.endswith(API_PATH) else api_base.rstrip("/")


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent/invalid."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = (when - (now or datetime.now(timezone.utc))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


class _Secret:
    """Holds the API token; its repr/str never show it."""

    __slots__ = ("_value",)

    def __init__(self, value: str):
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__


def _looks_like_html(resp: requests.Response) -> bool:
    ctype = resp.headers.get("Content-Type", "").lower()
    if "html" in ctype:
        return True
    head = resp.text[:200].lstrip().lower()
    return head.startswith("<!doctype") or head.startswith("<html") or head.startswith("<")


class Transport:
    """One session, one base URL, one token. See the module docstring for retries and threads."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        verify: bool | str = True,
        connect_timeout: float = 5.0,
        read_timeout: float = 35.0,
        retries: int = 5,
        backoff: float = 0.5,
        backoff_max: float = 10.0,
        max_retry_after: float = 30.0,
        pool_maxsize: int = 32,
        session: requests.Session | None = None,
        proxy: str | None = None,
    ):
        self.base_url = normalize_base_url(base_url)
        self.installation_url = installation_url(self.base_url)
        if not isinstance(api_key, str) or not api_key.strip():
            raise SolusioConfigError("The SolusIO API key is empty: generate one in SolusIO under Account > API Tokens.")
        self._key = _Secret(api_key.strip())
        if isinstance(verify, str):
            if not os.path.exists(verify):
                raise SolusioConfigError(f"The CA bundle file {verify!r} does not exist: give the path of a PEM file, or turn certificate checking back on.")
        elif not isinstance(verify, bool):
            raise SolusioConfigError("The certificate setting must be on, off, or the path of a CA bundle.")
        self.verify = verify
        self.connect_timeout = float(connect_timeout)
        self.read_timeout = float(read_timeout)
        self.retries = max(0, int(retries))
        self.backoff = max(0.0, float(backoff))
        self.backoff_max = max(0.0, float(backoff_max))
        self.max_retry_after = max(0.0, float(max_retry_after))
        self._owns_session = session is None
        self._session = session if session is not None else requests.Session()
        # The proxy is explicit: reading HTTP(S)_PROXY/NO_PROXY from the environment on every
        # request costs requests ~1 ms, a fifth of a usage call, and a billing run makes tens of
        # thousands of them. ``proxy`` (an URL) routes every call through one proxy instead.
        self._session.trust_env = False
        if proxy:
            self._session.proxies = {"http": proxy, "https": proxy}
        # No cookies: the API authenticates by bearer token, and a cookie jar is shared mutable state.
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        # Connect errors only (the request was never sent, so safe for every method); read errors
        # and statuses are handled by ``request`` because the rule depends on the method.
        retry = Retry(
            total=None,
            connect=self.retries,
            read=False,
            status=0,
            other=0,
            redirect=0,
            raise_on_redirect=False,
            raise_on_status=False,
            respect_retry_after_header=False,
            backoff_factor=self.backoff,
            backoff_max=self.backoff_max,
        )
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=int(pool_maxsize), max_retries=retry)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    # -- plumbing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, verify={self.verify!r})"

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def _headers(self) -> dict[str, str]:
        # contract "Transport": the three headers on every call
        return {
            "Authorization": f"Bearer {self._key.get()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _scrub(self, text: str | None, secrets: Iterable[str] = ()) -> str:
        if not text:
            return text or ""
        for secret in (self._key.get(), *secrets):
            if secret:
                text = text.replace(secret, _REDACTED).replace(quote(secret, safe=""), _REDACTED)
        return text

    def _sleep_time(self, attempt: int) -> float:
        if self.backoff <= 0:
            return 0.0
        base = min(self.backoff_max, self.backoff * (2**attempt))
        return base * (0.75 + random.random() / 2)  # jitter so threads do not retry in lock-step

    # -- the call --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        idempotent: bool | None = None,
        secrets: Iterable[str] = (),
        missing_ok_after_retry: bool = False,
    ) -> dict[str, Any] | None:
        """Send one API call with the retry policy; return the decoded JSON object (or None for 204).

        ``idempotent`` overrides the method-based rule. ``secrets`` are extra strings (e.g. a
        billing token in the body) to scrub from error texts. ``missing_ok_after_retry`` makes a
        404 on a retry (after an attempt that may have succeeded) count as success (DELETE).
        """
        method = method.upper()
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        secrets = tuple(s for s in secrets if isinstance(s, str) and s)
        url = self.base_url + path.lstrip("/")
        attempt = 0
        maybe_done = False  # an earlier attempt may have been processed by the server
        while True:
            started = time.monotonic()
            failure: SolusioError
            try:
                # Prepared here and sent, rather than ``Session.request``: the session has nothing
                # to merge (no auth object, cookies blocked, no environment), and skipping the
                # merge takes ~40% off the CPU of a call, which a billing run makes per client.
                prepared = requests.Request(method, url, params=params, headers=self._headers(),
                                            data=None if body is None else jsonlib.dumps(body)).prepare()
                resp = self._session.send(prepared, timeout=(self.connect_timeout, self.read_timeout),
                                          verify=self.verify, allow_redirects=False)
            except requests.exceptions.RequestException as exc:
                failure = self._map_exception(exc, secrets)
                retryable = bool(getattr(failure, "maybe_processed", False)) and idempotent
                log.log(
                    logging.WARNING if retryable and attempt < self.retries else logging.INFO,
                    "SolusIO %s %s failed: %s",
                    method,
                    self._scrub(url, secrets),
                    failure.detail or failure.message,
                )
                if not retryable or attempt >= self.retries:
                    raise failure from None
                maybe_done = True
                wait = self._sleep_time(attempt)
            else:
                elapsed = time.monotonic() - started
                if log.isEnabledFor(logging.DEBUG):
                    log.debug("SolusIO %s %s -> %s (%.3f s)", method, self._scrub(resp.url, secrets),
                              resp.status_code, elapsed)
                status = resp.status_code
                if status == 429:
                    retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                    if attempt < self.retries and (retry_after is None or retry_after <= self.max_retry_after):
                        wait = retry_after if retry_after is not None else self._sleep_time(attempt)
                        log.warning("SolusIO rate limit on %s %s: waiting %.1f s", method, self._scrub(url, secrets), wait)
                        resp.close()
                        time.sleep(wait)
                        attempt += 1
                        continue
                    raise self._error_for(resp, secrets) from None
                if status in RETRYABLE_STATUS and idempotent and attempt < self.retries:
                    log.warning("SolusIO %s %s -> %s, retrying", method, self._scrub(url, secrets), status)
                    resp.close()
                    maybe_done = True
                    time.sleep(self._sleep_time(attempt))
                    attempt += 1
                    continue
                if status == 404 and missing_ok_after_retry and maybe_done:
                    return None
                return self._handle(resp, secrets)
            time.sleep(wait)
            attempt += 1

    # -- mapping ---------------------------------------------------------------------------

    def _map_exception(self, exc: requests.exceptions.RequestException, secrets: tuple[str, ...]) -> SolusioError:
        inst = self.installation_url
        detail = self._scrub(f"{type(exc).__name__}: {exc}", secrets)
        text = detail.lower()
        if isinstance(exc, requests.exceptions.SSLError):
            if any(s in text for s in ("wrong version number", "unknown protocol", "record layer failure", "http request", "packet length too long")):
                plain = "http://" + inst.split("://", 1)[1]
                return SolusioTLSError(
                    f"The server at {inst} does not speak HTTPS (TLS) on this port. If SolusIO is served over plain HTTP there, use {plain} as the installation URL.",
                    detail=detail,
                )
            if any(s in text for s in ("certificate", "cert", "self-signed", "self signed", "hostname")):
                return SolusioTLSError(
                    f"The TLS certificate of {inst} could not be verified (it may be self-signed, expired, or issued for another name). "
                    "Install a valid certificate on SolusIO, or enable the \"Trust self-signed certificate\" option "
                    "(or give the path of a CA bundle) in the connection settings.",
                    detail=detail,
                )
            return SolusioTLSError(
                f"The secure (TLS) connection to {inst} failed. Check that the URL points at SolusIO; if it uses a self-signed certificate, "
                "enable the \"Trust self-signed certificate\" option in the connection settings.",
                detail=detail,
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return SolusioTimeout(
                f"SolusIO at {inst} did not accept a connection within {self.connect_timeout:g} s. Check the URL, the port and any firewall in between.",
                maybe_processed=False,
                detail=detail,
            )
        if isinstance(exc, requests.exceptions.ReadTimeout):
            return SolusioTimeout(
                f"SolusIO at {inst} did not answer within {self.read_timeout:g} s.",
                maybe_processed=True,
                detail=detail,
            )
        if isinstance(exc, requests.exceptions.ConnectionError):
            reason = exc.args[0] if exc.args else None
            if isinstance(reason, u3exc.MaxRetryError):
                reason = reason.reason
            if isinstance(reason, u3exc.NameResolutionError) or "name or service not known" in text or "nodename nor servname" in text or "failed to resolve" in text:
                host = urlsplit(inst).hostname
                return SolusioConnectionError(
                    f"Could not connect to SolusIO at {inst}: the host name {host} could not be resolved. Check the installation URL.",
                    detail=detail,
                )
            if isinstance(reason, u3exc.NewConnectionError):
                if "refused" in text:
                    why = "the connection was refused (nothing listens on that port)"
                else:
                    why = "the server could not be reached"
                return SolusioConnectionError(
                    f"Could not connect to SolusIO at {inst}: {why}. Check the installation URL and port, and that SolusIO is running.",
                    detail=detail,
                )
            if inst.startswith("http://") and ("\\x15\\x03" in detail or "\\x16\\x03" in detail or "badstatusline" in text):
                secure = "https://" + inst.split("://", 1)[1]
                return SolusioConnectionError(
                    f"The server at {inst} did not answer plain HTTP; it probably expects HTTPS: use {secure} as the installation URL.",
                    detail=detail,
                )
            hint = ""
            if inst.startswith("http://"):
                hint = f" If SolusIO is served over HTTPS, use https://{inst.split('://', 1)[1]} as the installation URL."
            return SolusioConnectionError(
                f"The connection to SolusIO at {inst} was closed before an answer arrived.{hint}",
                maybe_processed=True,
                detail=detail,
            )
        return SolusioConnectionError(f"The request to SolusIO at {inst} failed: {detail}", detail=detail)

    def _handle(self, resp: requests.Response, secrets: tuple[str, ...]) -> dict[str, Any] | None:
        status = resp.status_code
        if 300 <= status < 400:
            raise self._redirect_error(resp, secrets) from None
        if status >= 400:
            raise self._error_for(resp, secrets) from None
        if status == 204 or not resp.content:
            if status == 204:
                return None
            raise SolusioBadResponse(
                f"The server at {self.installation_url} answered with an empty body, not the SolusIO API. Check the installation URL.",
                status=status,
            ) from None
        payload = self._json(resp)
        # contract "Envelopes and paging": every 2xx body with content is {"data": ...}
        if not isinstance(payload, dict) or "data" not in payload:
            if payload is None and _looks_like_html(resp):
                raise SolusioBadResponse(self._web_page_message(), status=status) from None
            raise SolusioBadResponse(
                f"The server at {self.installation_url} did not answer like the SolusIO API (no \"data\" in the answer). Check the installation URL.",
                status=status,
                detail=self._scrub(resp.text[:300], secrets),
            ) from None
        return payload

    @staticmethod
    def _json(resp: requests.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            return None

    def _web_page_message(self) -> str:
        return f"The server at {self.installation_url} answered with a web page, not the SolusIO API. Check the installation URL."

    def _redirect_error(self, resp: requests.Response, secrets: tuple[str, ...]) -> SolusioBadResponse:
        location = resp.headers.get("Location", "")
        target = urljoin(resp.url, location) if location else ""
        suggestion = target
        marker = target.find(API_PATH)
        if marker >= 0:
            suggestion = target[:marker]
        if target.startswith("https://") and self.installation_url.startswith("http://"):
            msg = f"The server at {self.installation_url} redirects to {suggestion}: use that URL (https) as the installation URL."
        elif target:
            msg = f"The server at {self.installation_url} redirects the API call to {self._scrub(target, secrets)}; check the installation URL (try {self._scrub(suggestion, secrets)})."
        else:
            msg = f"The server at {self.installation_url} answered with a redirect ({resp.status_code}) instead of the SolusIO API. Check the installation URL."
        return SolusioBadResponse(msg, status=resp.status_code, redirect_to=self._scrub(target, secrets) or None)

    def _error_for(self, resp: requests.Response, secrets: tuple[str, ...]) -> SolusioError:
        status = resp.status_code
        inst = self.installation_url
        payload = self._json(resp)
        raw = self._scrub(resp.text, secrets)
        server_msg = None
        if isinstance(payload, dict) and isinstance(payload.get("message"), str) and payload["message"].strip():
            server_msg = self._scrub(payload["message"].strip(), secrets)
        suffix = f" (SolusIO said: {server_msg})" if server_msg else ""
        if status == 401:
            return SolusioAuthError(f"SolusIO at {inst} rejected the API key (401). Check the API key, or generate a new one under Account > API Tokens.{suffix}", status=401)
        if status == 403:
            return SolusioPermissionError(f"SolusIO refused the request (403): the API token has no permission for it.{suffix}", status=403)
        if status == 429:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            when = f" Retry after {retry_after:.0f} s." if retry_after is not None else ""
            return SolusioRateLimited(f"SolusIO at {inst} is limiting the request rate (429).{when}", retry_after=retry_after)
        if status >= 500:
            return SolusioServerError(f"SolusIO at {inst} failed with HTTP {status}. Try again later; if it persists, check the SolusIO logs.{suffix}", status=status)
        if status == 400 and "plain http request was sent to https port" in raw.lower():
            secure = "https://" + inst.split("://", 1)[1]
            return SolusioBadResponse(f"The server at {inst} expects HTTPS on this port: use {secure} as the installation URL.", status=400)
        if payload is None and _looks_like_html(resp) and status != 422:
            return SolusioBadResponse(self._web_page_message(), status=status, detail=raw[:300])
        if status == 404:
            return SolusioNotFound(f"SolusIO has no such object (404): {resp.request.method} {urlsplit(resp.url).path}.{suffix}", status=404)
        if status == 422:
            errors: dict[str, list[str]] = {}
            if isinstance(payload, dict) and isinstance(payload.get("errors"), dict):
                for field, msgs in payload["errors"].items():
                    if isinstance(msgs, list):
                        errors[str(field)] = [self._scrub(str(m), secrets) for m in msgs]
                    elif msgs is not None:
                        errors[str(field)] = [self._scrub(str(msgs), secrets)]
            parts = [f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()]
            if parts:
                text = "; ".join(parts)
            elif server_msg:
                text = server_msg
            elif payload is None and raw.strip():
                text = raw.strip()[:300]
            else:
                text = "no details given"
            return SolusioValidationError(
                f"SolusIO refused the data (422): {text}",
                errors=errors,
                server_message=server_msg,
                raw_body=raw if payload is None else None,
            )
        return SolusioError(f"SolusIO at {inst} answered HTTP {status}.{suffix}", status=status, detail=raw[:300])
