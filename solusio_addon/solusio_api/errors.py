"""Typed exceptions of the SolusIO API client.

Every message is a sentence an administrator can act on. No message, attribute or ``repr`` of
these exceptions ever contains the API token: the transport scrubs every text it puts into an
exception (see ``transport.Transport._scrubber``) and raises them ``from None`` so that the
underlying ``requests`` exception (which holds the prepared request and its headers) is not
chained.
"""

from __future__ import annotations

__all__ = [
    "SolusioError",
    "SolusioConfigError",
    "SolusioAuthError",
    "SolusioPermissionError",
    "SolusioNotFound",
    "SolusioValidationError",
    "SolusioRateLimited",
    "SolusioServerError",
    "SolusioTimeout",
    "SolusioConnectionError",
    "SolusioTLSError",
    "SolusioBadResponse",
]


class SolusioError(Exception):
    """Base class. ``status`` is the HTTP status code, or None when no response was received."""

    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        #: a technical description of the underlying failure (scrubbed of secrets), for logs
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class SolusioConfigError(SolusioError):
    """The connection settings are unusable (bad URL, missing CA bundle file, ...)."""


class SolusioAuthError(SolusioError):
    """401: SolusIO rejected the API token."""


class SolusioPermissionError(SolusioError):
    """403: the token is valid but not allowed to do this (e.g. no admin rights)."""


class SolusioNotFound(SolusioError):
    """404: the object does not exist (or no longer exists)."""


class SolusioValidationError(SolusioError):
    """422: SolusIO refused the data.

    ``errors`` maps a field name to its messages (empty when the body had none); ``server_message``
    is the body's ``message`` (or None); ``raw_body`` keeps the text when the body was not JSON.
    """

    def __init__(
        self,
        message: str,
        *,
        errors: dict[str, list[str]] | None = None,
        server_message: str | None = None,
        raw_body: str | None = None,
        status: int | None = 422,
    ):
        super().__init__(message, status=status)
        self.errors: dict[str, list[str]] = errors or {}
        self.server_message = server_message
        self.raw_body = raw_body


class SolusioRateLimited(SolusioError):
    """429: too many requests. ``retry_after`` is the wait the server asked for, in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, status: int | None = 429):
        super().__init__(message, status=status)
        self.retry_after = retry_after


class SolusioServerError(SolusioError):
    """5xx: SolusIO failed (or a proxy in front of it did)."""


class SolusioTimeout(SolusioError):
    """No answer in time. ``maybe_processed`` is True when the request had been sent."""

    def __init__(self, message: str, *, maybe_processed: bool = False, detail: str | None = None):
        super().__init__(message, detail=detail)
        self.maybe_processed = maybe_processed


class SolusioConnectionError(SolusioError):
    """The server could not be reached (refused, DNS failure) or dropped the connection.

    ``maybe_processed`` is True when the connection broke after the request had been sent.
    """

    def __init__(self, message: str, *, maybe_processed: bool = False, detail: str | None = None):
        super().__init__(message, detail=detail)
        self.maybe_processed = maybe_processed


class SolusioTLSError(SolusioError):
    """The TLS handshake failed: untrusted/invalid certificate, or not TLS at all."""


class SolusioBadResponse(SolusioError):
    """The answer is not the SolusIO API: a web page, non-JSON, wrong envelope, a redirect.

    ``redirect_to`` is the Location of a redirect, when that is what happened.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        detail: str | None = None,
        redirect_to: str | None = None,
    ):
        super().__init__(message, status=status, detail=detail)
        self.redirect_to = redirect_to
