"""HTTP answers and failures -> decoded payloads or typed errors.

Contract: docs/solusio-api.md, "Status codes and errors". Every text that goes into an error
passes through ``scrub`` (the transport's: API key and per-call secrets replaced by ``***``).
"""

from __future__ import annotations

from typing import Any, Callable
from urllib.parse import urljoin, urlsplit

import requests
import urllib3.exceptions as u3exc

from .errors import (
    SolusioAuthError,
    SolusioBadResponse,
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
from .retry import parse_retry_after

Scrub = Callable[[str], str]

# contract "Transport": the API lives under <installation URL>/api/v1/
API_PATH = "/api/v1/"
# what OpenSSL and the resolver say when an https URL meets plain HTTP / an unknown host name
_NOT_TLS = ("wrong version number", "unknown protocol", "record layer failure", "http request", "packet length too long")
_UNRESOLVED = ("name or service not known", "nodename nor servname", "failed to resolve")


def _looks_like_html(resp: requests.Response) -> bool:
    ctype = resp.headers.get("Content-Type", "").lower()
    if "html" in ctype:
        return True
    head = resp.text[:200].lstrip().lower()
    return head.startswith("<!doctype") or head.startswith("<html") or head.startswith("<")


def _json(resp: requests.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


def _reason(exc: requests.exceptions.RequestException) -> object:
    """The urllib3 failure under a requests exception (through ``MaxRetryError`` when retries ran out)."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, u3exc.MaxRetryError):
        reason = reason.reason
    return reason


class ErrorMapper:
    """Knows the installation URL, the timeouts and the proxy, to write sentences an admin can act on."""

    def __init__(self, installation_url: str, *, connect_timeout: float, read_timeout: float, proxy: str | None):
        self.installation_url = installation_url
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.proxy = proxy  # already redacted: shown in messages

    # -- no answer -------------------------------------------------------------------------------

    def for_exception(self, exc: requests.exceptions.RequestException, scrub: Scrub) -> SolusioError:
        inst = self.installation_url
        detail = scrub(f"{type(exc).__name__}: {exc}")
        text = detail.lower()
        reason = _reason(exc)
        if isinstance(exc, requests.exceptions.SSLError):
            if any(s in text for s in _NOT_TLS):
                plain = "http://" + inst.split("://", 1)[1]
                return SolusioTLSError(
                    f"The server at {inst} does not speak HTTPS (TLS) on this port. "
                    f"If SolusIO is served over plain HTTP there, use {plain} as the installation URL.",
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
                f"The secure (TLS) connection to {inst} failed. Check that the URL points at SolusIO; "
                "if it uses a self-signed certificate, enable the \"Trust self-signed certificate\" option in the connection settings.",
                detail=detail,
            )
        if isinstance(exc, requests.exceptions.ProxyError):
            return SolusioConnectionError(
                f"Could not reach SolusIO at {inst} through the proxy {self.proxy or '(from the environment)'}: the proxy could not be "
                "reached or refused the connection. Check the proxy setting (or HTTPS_PROXY / NO_PROXY in the environment).",
                detail=detail,
            )
        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return SolusioTimeout(
                f"SolusIO at {inst} did not accept a connection within {self.connect_timeout:g} s. "
                "Check the URL, the port and any firewall in between.",
                maybe_processed=False,
                detail=detail,
            )
        # a read timeout on the last retry arrives as a ConnectionError wrapping MaxRetryError
        if isinstance(exc, requests.exceptions.ReadTimeout) or isinstance(reason, u3exc.ReadTimeoutError):
            return SolusioTimeout(f"SolusIO at {inst} did not answer within {self.read_timeout:g} s.", maybe_processed=True, detail=detail)
        if isinstance(exc, requests.exceptions.ConnectionError):
            if isinstance(reason, u3exc.NameResolutionError) or any(s in text for s in _UNRESOLVED):
                host = urlsplit(inst).hostname
                return SolusioConnectionError(
                    f"Could not connect to SolusIO at {inst}: the host name {host} could not be resolved. Check the installation URL.",
                    detail=detail,
                )
            if isinstance(reason, u3exc.NewConnectionError):
                why = "the server could not be reached"
                if "refused" in text:
                    why = "the connection was refused (nothing listens on that port)"
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

    # -- an answer -------------------------------------------------------------------------------

    def decode(self, resp: requests.Response, scrub: Scrub) -> dict[str, Any] | None:
        """The ``{"data": ...}`` object of a 2xx answer, None for 204; any other answer raises."""
        status = resp.status_code
        if 300 <= status < 400:
            raise self._redirect_error(resp, scrub) from None
        if status >= 400:
            raise self.for_status(resp, scrub) from None
        if status == 204 or not resp.content:
            if status == 204:
                return None
            raise SolusioBadResponse(
                f"The server at {self.installation_url} answered with an empty body, not the SolusIO API. Check the installation URL.",
                status=status,
            ) from None
        payload = _json(resp)
        # contract "Envelopes and paging": every 2xx body with content is {"data": ...}
        if not isinstance(payload, dict) or "data" not in payload:
            if payload is None and _looks_like_html(resp):
                raise SolusioBadResponse(self._web_page_message(), status=status) from None
            raise SolusioBadResponse(
                f"The server at {self.installation_url} did not answer like the SolusIO API (no \"data\" in the answer). "
                "Check the installation URL.",
                status=status,
                detail=scrub(resp.text[:300]),
            ) from None
        return payload

    def _web_page_message(self) -> str:
        return f"The server at {self.installation_url} answered with a web page, not the SolusIO API. Check the installation URL."

    def _redirect_error(self, resp: requests.Response, scrub: Scrub) -> SolusioBadResponse:
        location = resp.headers.get("Location", "")
        target = urljoin(resp.url, location) if location else ""
        suggestion = target
        marker = target.find(API_PATH)
        if marker >= 0:
            suggestion = target[:marker]
        inst = self.installation_url
        if target.startswith("https://") and inst.startswith("http://"):
            msg = f"The server at {inst} redirects to {suggestion}: use that URL (https) as the installation URL."
        elif target:
            msg = f"The server at {inst} redirects the API call to {scrub(target)}; check the installation URL (try {scrub(suggestion)})."
        else:
            msg = (f"The server at {inst} answered with a redirect ({resp.status_code}) instead of the SolusIO API. "
                   "Check the installation URL.")
        return SolusioBadResponse(msg, status=resp.status_code, redirect_to=scrub(target) or None)

    def for_status(self, resp: requests.Response, scrub: Scrub) -> SolusioError:
        """The typed error of a 4xx/5xx answer."""
        status = resp.status_code
        inst = self.installation_url
        payload = _json(resp)
        raw = scrub(resp.text)
        server_msg = None
        if isinstance(payload, dict) and isinstance(payload.get("message"), str) and payload["message"].strip():
            server_msg = scrub(payload["message"].strip())
        suffix = f" (SolusIO said: {server_msg})" if server_msg else ""
        if status == 401:
            return SolusioAuthError(f"SolusIO at {inst} rejected the API key (401). Check the API key, "
                                    f"or generate a new one under Account > API Tokens.{suffix}", status=401)
        if status == 403:
            return SolusioPermissionError(f"SolusIO refused the request (403): the API token has no permission for it.{suffix}", status=403)
        if status == 429:
            retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            when = f" Retry after {retry_after:.0f} s." if retry_after is not None else ""
            return SolusioRateLimited(f"SolusIO at {inst} is limiting the request rate (429).{when}", retry_after=retry_after)
        if status >= 500:
            return SolusioServerError(f"SolusIO at {inst} failed with HTTP {status}. "
                                      f"Try again later; if it persists, check the SolusIO logs.{suffix}", status=status)
        if status == 400 and "plain http request was sent to https port" in raw.lower():
            secure = "https://" + inst.split("://", 1)[1]
            return SolusioBadResponse(f"The server at {inst} expects HTTPS on this port: use {secure} as the installation URL.", status=400)
        if payload is None and _looks_like_html(resp) and status != 422:
            return SolusioBadResponse(self._web_page_message(), status=status, detail=raw[:300])
        if status == 404:
            what = f"{resp.request.method} {urlsplit(resp.url).path}"
            return SolusioNotFound(f"SolusIO has no such object (404): {what}.{suffix}", status=404)
        if status == 422:
            return self._validation_error(payload, raw, server_msg, scrub)
        return SolusioError(f"SolusIO at {inst} answered HTTP {status}.{suffix}", status=status, detail=raw[:300])

    @staticmethod
    def _validation_error(payload: Any, raw: str, server_msg: str | None, scrub: Scrub) -> SolusioValidationError:
        errors: dict[str, list[str]] = {}
        if isinstance(payload, dict) and isinstance(payload.get("errors"), dict):
            for field, msgs in payload["errors"].items():
                if isinstance(msgs, list):
                    errors[str(field)] = [scrub(str(m)) for m in msgs]
                elif msgs is not None:
                    errors[str(field)] = [scrub(str(msgs))]
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


__all__ = ["ErrorMapper", "API_PATH"]
