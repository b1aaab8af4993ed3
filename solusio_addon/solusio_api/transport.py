"""HTTP transport of the SolusIO API client: URL handling, headers, the session and one call.

Contract: docs/solusio-api.md, section "Transport" and "Status codes and errors". Answers become
data or typed errors in ``mapping``; the retry policy lives in ``retry``; the knobs in ``options``.

Thread safety: one ``Transport`` owns one ``requests.Session`` with a connection pool of
``pool_maxsize`` connections per host, shared by every thread. The session is configured once,
in ``__init__``, and never mutated afterwards (the Authorization header is passed per request,
cookies are refused), which is the usage pattern that ``requests`` supports across threads.

Retry policy (contract "Transport": the official Go SDK retries transport errors and 5xx), applied
by urllib3 inside the session's ``HTTPAdapter`` (``retry.SolusioRetry``), ``retries`` times at most:
* A connection that could not be opened (refused, DNS failure, connect timeout) never carried the
  request: retried for every method, with backoff.
* After the request may have reached the server (read timeout, dropped connection, 500/502/503/504)
  only GET/HEAD/OPTIONS/PUT/PATCH/DELETE are retried, never POST. (A failure after the answer's
  headers arrived, i.e. a body cut short, is reported, not retried: urllib3 has returned by then.)
* 429 is retried for every method (the server refused the request without processing it),
  waiting ``Retry-After`` (seconds or HTTP date). A wait longer than ``max_retry_after`` is not
  slept: ``SolusioRateLimited`` is raised at once with ``retry_after`` for the caller to schedule.
* Redirects are never followed (a redirected POST would silently become a GET): they are reported.

Environment: the proxy (``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY``, unless ``proxy`` is given) and
the CA bundle (``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, when ``verify`` is True) are read ONCE,
here, and passed to every ``send``: requests would otherwise read the environment on every call,
~1 ms of CPU each, and a billing run makes tens of thousands of calls.
"""

from __future__ import annotations

import http.cookiejar
import json as jsonlib
import logging
import os
from typing import Any, Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import get_environ_proxies, select_proxy

from .errors import SolusioConfigError
from .mapping import API_PATH, ErrorMapper, Scrub
from .options import ClientOptions, redact_url
from .retry import SolusioRetry, retried_after_processing

log = logging.getLogger("solusio_addon.solusio_api")

USER_AGENT = "hostsim-solusio-addon"
_REDACTED = "***"
CA_BUNDLE_ENV = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


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


def resolve_proxy(api_url: str, proxy: str | None) -> str | None:
    """The proxy URL for ``api_url``: ``proxy`` when given ("" = none), else the environment's
    (``NO_PROXY`` honoured); None for a direct connection."""
    if proxy is not None:
        return proxy or None
    return select_proxy(api_url, get_environ_proxies(api_url)) or None


def resolve_verify(verify: bool | str) -> bool | str:
    """``verify``, or the CA bundle named by the environment when ``verify`` is plain True."""
    if verify is not True:
        return verify
    for name in CA_BUNDLE_ENV:
        path = os.environ.get(name)
        if path:
            if not os.path.exists(path):
                raise SolusioConfigError(f"The CA bundle file {path!r} named by the {name} environment variable does not exist.")
            return path
    return True


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


class Transport:
    """One session, one base URL, one token. See the module docstring for retries and threads."""

    def __init__(self, base_url: str, api_key: str, options: ClientOptions | None = None):
        options = options or ClientOptions()
        self.options = options
        self.base_url = normalize_base_url(base_url)
        self.installation_url = installation_url(self.base_url)
        if not isinstance(api_key, str) or not api_key.strip():
            raise SolusioConfigError("The SolusIO API key is empty: generate one in SolusIO under Account > API Tokens.")
        self._key = _Secret(api_key.strip())
        self.verify = resolve_verify(options.verify)
        proxy = resolve_proxy(self.base_url, options.proxy)
        self._proxies = {"http": proxy, "https": proxy} if proxy else {}
        # a proxy's password must not reach an error text either
        proxy_password = unquote(urlsplit(proxy).password or "") if proxy else ""
        self._always_scrubbed = (self._key, _Secret(proxy_password))
        self.proxy = redact_url(proxy) if proxy else None
        self._timeout = (options.connect_timeout, options.read_timeout)
        self._errors = ErrorMapper(self.installation_url, connect_timeout=options.connect_timeout,
                                   read_timeout=options.read_timeout, proxy=self.proxy)
        self.retry = SolusioRetry.policy(retries=options.retries, backoff=options.backoff, backoff_max=options.backoff_max,
                                         max_retry_after=options.max_retry_after, sleep=options.sleep)
        self._owns_session = options.session is None
        self._session = options.session if options.session is not None else requests.Session()
        # Everything requests would take from the environment was resolved above.
        self._session.trust_env = False
        # No cookies: the API authenticates by bearer token, and a cookie jar is shared mutable state.
        self._session.cookies.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=options.pool_maxsize, max_retries=self.retry)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)

    # -- plumbing ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Transport(base_url={self.base_url!r}, verify={self.verify!r}, proxy={self.proxy!r})"

    def rebuild_arguments(self) -> tuple[str, str, ClientOptions]:
        """(API URL, API key, options) that build an equal transport (e.g. after pickling)."""
        return self.base_url, self._key.get(), self.options

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def pause(self, retry_number: int) -> None:
        """Wait as the retry policy would before retry ``retry_number`` (for retries made above it)."""
        wait = self.retry.backoff_delay(retry_number)
        if wait > 0:
            self.options.sleep(wait)

    def _headers(self) -> dict[str, str]:
        # contract "Transport": the three headers on every call
        return {
            "Authorization": f"Bearer {self._key.get()}",
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
        }

    def _scrubber(self, secrets: Iterable[str]) -> Scrub:
        hidden = [s for s in (*(k.get() for k in self._always_scrubbed), *secrets) if isinstance(s, str) and s]

        def scrub(text: str) -> str:
            if not text:
                return ""
            for secret in hidden:
                text = text.replace(secret, _REDACTED).replace(quote(secret, safe=""), _REDACTED)
            return text

        return scrub

    # -- the call --------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        secrets: Iterable[str] = (),
        missing_ok_after_retry: bool = False,
    ) -> dict[str, Any] | None:
        """Send one API call (retried per the policy); return the decoded JSON object (or None for 204).

        ``secrets`` are extra strings (e.g. a billing token in the body) to scrub from error texts.
        ``missing_ok_after_retry`` makes a 404 count as success when an earlier attempt may have
        been processed (a DELETE whose first answer was lost).
        """
        method = method.upper()
        scrub = self._scrubber(secrets)
        url = self.base_url + path.lstrip("/")
        # Prepared here and sent, rather than ``Session.request``: the session has nothing to
        # merge (no auth object, cookies blocked, environment resolved once), and skipping the
        # merge takes ~40% off the CPU of a call, which a billing run makes per client.
        prepared = requests.Request(method, url, params=params, headers=self._headers(),
                                    data=None if body is None else jsonlib.dumps(body)).prepare()
        try:
            resp = self._session.send(prepared, timeout=self._timeout, verify=self.verify, proxies=self._proxies,
                                      allow_redirects=False)
        except requests.exceptions.RequestException as exc:
            failure = self._errors.for_exception(exc, scrub)
            log.info("SolusIO %s %s failed: %s", method, scrub(url), failure.detail or failure.message)
            raise failure from None
        if log.isEnabledFor(logging.DEBUG):
            log.debug("SolusIO %s %s -> %s (%.3f s)", method, scrub(resp.url), resp.status_code, resp.elapsed.total_seconds())
        if resp.status_code == 404 and missing_ok_after_retry and retried_after_processing(getattr(resp.raw, "retries", None)):
            return None
        return self._errors.decode(resp, scrub)


__all__ = ["Transport", "normalize_base_url", "installation_url", "resolve_proxy", "resolve_verify", "USER_AGENT"]
