"""The retry policy of the SolusIO client: a urllib3 ``Retry`` mounted on the session's adapter.

urllib3 counts the attempts, applies the method and status rules and honours ``Retry-After``;
the subclass adds what is specific to this client (the rules themselves are listed in
``transport``'s docstring):

* a ``Retry-After`` longer than ``max_retry_after`` is not slept: the retry is refused, so the
  429 reaches the client at once and becomes ``SolusioRateLimited`` with ``retry_after``;
* only a 429's ``Retry-After`` counts (a 5xx backs off as usual), parsed leniently (``1.5`` is
  fine; a malformed value means "back off", where urllib3 would raise ``InvalidHeader``);
* every retry waits, the first one included (urllib3 retries the first failure at once):
  ``backoff * 2**(n-1)`` plus up to half of ``backoff`` of jitter, capped at ``backoff_max``, so that
  threads that failed together do not hit a struggling server again together;
* every wait goes through an injectable ``sleep`` (tests record the waits instead of taking them).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from datetime import datetime, timezone
from typing import Any, Callable, Self

from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

log = logging.getLogger("solusio_addon.solusio_api")

#: retried after the request may have reached the server (read timeout, dropped connection, 5xx)
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})
RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
RATE_LIMITED = 429


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


class SolusioRetry(Retry):
    """urllib3's ``Retry`` with this client's rules; build it with ``SolusioRetry.policy``."""

    def __init__(self, *args: Any, max_retry_after: float = 30.0, sleep: Callable[[float], None] = time.sleep, **kw: Any):
        super().__init__(*args, **kw)
        self.max_retry_after = max_retry_after
        self.sleep_fn = sleep

    @classmethod
    def policy(cls, *, retries: int, backoff: float, backoff_max: float, max_retry_after: float,
               sleep: Callable[[float], None] = time.sleep) -> SolusioRetry:
        return cls(
            total=retries,  # one budget for every kind of failure, as the Go SDK counts them
            connect=None,  # the request was never sent: safe for every method
            read=None,  # read timeout or dropped connection: only ``allowed_methods``
            status=None,
            other=0,  # TLS failures and the like do not heal by themselves
            redirect=False,  # never followed: a redirected POST would silently become a GET
            allowed_methods=IDEMPOTENT_METHODS,
            status_forcelist=RETRYABLE_STATUS,
            backoff_factor=backoff,
            backoff_jitter=backoff / 2,
            backoff_max=backoff_max,
            raise_on_status=False,  # out of retries: the last answer is mapped to a typed error
            respect_retry_after_header=True,
            max_retry_after=max_retry_after,
            sleep=sleep,
        )

    def new(self, **kw: Any) -> Self:
        kw.setdefault("max_retry_after", self.max_retry_after)
        kw.setdefault("sleep", self.sleep_fn)
        return super().new(**kw)

    # -- which answers are retried -----------------------------------------------------------

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if status_code == RATE_LIMITED:
            return True  # refused before being processed: safe for every method, POST included
        return status_code in self.status_forcelist and self._is_method_retryable(method)

    def increment(self, method: str | None = None, url: str | None = None, response: BaseHTTPResponse | None = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> Self:
        if response is not None and response.status == RATE_LIMITED:
            wait = self.get_retry_after(response)
            if wait is not None and wait > self.max_retry_after:
                # urllib3 answers "no more retries" with the response itself (raise_on_status=False)
                raise MaxRetryError(_pool, url or "", ResponseError(f"Retry-After {wait:g} s is longer than {self.max_retry_after:g} s"))
        return super().increment(method, url, response, error, _pool, _stacktrace)

    def get_retry_after(self, response: BaseHTTPResponse) -> float | None:
        if response.status != RATE_LIMITED:
            return None
        return parse_retry_after(response.headers.get("Retry-After"))

    # -- how long to wait ----------------------------------------------------------------------

    def backoff_delay(self, retry_number: int) -> float:
        """The wait before retry ``retry_number`` (from 1) when the server named none."""
        if retry_number < 1 or self.backoff_factor <= 0:
            return 0.0
        value = self.backoff_factor * 2 ** (retry_number - 1) + random.random() * self.backoff_jitter
        return float(min(self.backoff_max, value))

    def get_backoff_time(self) -> float:
        return self.backoff_delay(len(self.history))

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        wait = self.get_retry_after(response) if response is not None else None
        if wait is None:
            wait = self.get_backoff_time()
        if self.history:
            last = self.history[-1]
            cause = f"HTTP {last.status}" if last.status else type(last.error).__name__
            log.warning("SolusIO %s %s: %s; retry %d of %d in %.2f s", last.method, last.url, cause,
                        len(self.history), len(self.history) + (self.total or 0), wait)
        if wait > 0:
            self.sleep_fn(wait)

    # -- what the history says -----------------------------------------------------------------

    def may_have_been_processed(self) -> bool:
        """Whether an earlier attempt may have reached the server (not a refused connection, not a 429)."""
        for attempt in self.history:
            if attempt.error is not None and not self._is_connection_error(attempt.error):
                return True
            if attempt.status is not None and attempt.status != RATE_LIMITED:
                return True
        return False


def retried_after_processing(retries: object) -> bool:
    """``may_have_been_processed`` of a urllib3 response's ``retries`` (anything else: False)."""
    return isinstance(retries, SolusioRetry) and retries.may_have_been_processed()


__all__ = ["SolusioRetry", "parse_retry_after", "retried_after_processing", "IDEMPOTENT_METHODS", "RETRYABLE_STATUS"]
