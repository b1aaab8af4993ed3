"""The SolusIO REST API client used by the addon.

Contract: docs/solusio-api.md ("the contract" below). Each call names the
contract section it follows; details marked [assumed] there live in exactly one place here.

Thread safety: a ``SolusioClient`` may be shared by threads (see ``transport`` for why). Paged
calls are generators: each thread should iterate its own generator.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import quote

from .errors import (
    SolusioBadResponse,
    SolusioConnectionError,
    SolusioPermissionError,
    SolusioServerError,
    SolusioTimeout,
    SolusioValidationError,
)
from .models import USER_STATUSES, ConnectionCheck, LimitGroup, Plan, Server, Usage, User
from .options import ClientOptions
from .paging import read_pages_concurrently
from .transport import Transport

log = logging.getLogger("solusio_addon.solusio_api")

#: contract "Single sign-on into SolusIO" [assumed]: THE ONE PLACE for the browser login path.
DEFAULT_LOGIN_URL_TEMPLATE = "{url}/auth/by-token?token={token}"

#: contract "Objects", User.roles [assumed]: THE ONE PLACE for which role names make a user an
#: administrator of SolusIO (compared case-insensitively).
ADMIN_ROLE_NAMES: frozenset[str] = frozenset({"admin"})


def _rfc3339(when: datetime, name: str) -> str:
    if not isinstance(when, datetime):
        raise TypeError(f"{name} must be a datetime")
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (a naive datetime is ambiguous for billing)")
    utc = when.astimezone(timezone.utc)
    fmt = "%Y-%m-%dT%H:%M:%S.%fZ" if utc.microsecond else "%Y-%m-%dT%H:%M:%SZ"
    return utc.strftime(fmt)


class SolusioClient:
    """Typed access to the SolusIO admin API.

    ``base_url`` is what the admin typed (the web UI URL; ``/api/v1`` optional). The connection
    knobs are the fields of ``ClientOptions`` (verify, timeouts, retries, backoff, proxy, ...):
    pass an ``options`` object, keyword arguments, or both (keywords override the object), e.g.
    ``SolusioClient(url, key, verify=False, retries=1, proxy="http://proxy:3128")``.
    """

    def __init__(self, base_url: str, api_key: str, options: ClientOptions | None = None, **overrides: Any):
        # ``replace``/the constructor reject an unknown keyword with a TypeError naming it
        self.options = replace(options, **overrides) if options is not None else ClientOptions(**overrides)
        self._t = Transport(base_url, api_key, self.options)

    # -- housekeeping -----------------------------------------------------------------------

    @property
    def api_url(self) -> str:
        """``<installation>/api/v1/``."""
        return self._t.base_url

    @property
    def installation_url(self) -> str:
        """The web UI URL, without ``/api/v1`` and without a trailing slash."""
        return self._t.installation_url

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the arguments that rebuild it (a fresh session and pool on the other side).
        The key travels in the pickle, so pickle only into a pipe you trust; a custom ``session``
        stays behind."""
        api_url, api_key, options = self._t.rebuild_arguments()
        return (SolusioClient, (api_url, api_key, replace(options, session=None)))

    def __repr__(self) -> str:
        return f"SolusioClient(api_url={self.api_url!r}, verify={self._t.verify!r})"

    __str__ = __repr__

    def close(self) -> None:
        self._t.close()

    def __enter__(self) -> SolusioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- generic helpers ---------------------------------------------------------------------

    def _data(self, method: str, path: str, **kw: Any) -> Any:
        payload = self._t.request(method, path, **kw)
        if payload is None:
            raise SolusioBadResponse(
                f"SolusIO answered {method} {path} without a body; expected {{\"data\": ...}}.",
            )
        return payload["data"]

    def _paged(self, path: str, filters: Mapping[str, Any] | None = None,
               on_page: Callable[[int], None] | None = None) -> Iterator[dict[str, Any]]:
        """Yield the items of every page, fetching one page at a time (``on_page(n)`` after each).

        contract "Envelopes and paging": ``?page=N`` from 1; stop when meta.current_page >=
        meta.last_page, or links.next is null; filters go as ``filter[<name>]``.
        """
        params: dict[str, Any] = {f"filter[{k}]": v for k, v in (filters or {}).items() if v is not None}
        page = 1
        while True:
            params["page"] = page
            payload = self._t.request("GET", path, params=dict(params))
            assert payload is not None
            if on_page is not None:
                on_page(page)
            items = payload.get("data")
            if not isinstance(items, list):
                raise SolusioBadResponse(f"SolusIO answered GET {path} without a list in \"data\".")
            yield from items
            raw_meta, raw_links = payload.get("meta"), payload.get("links")
            meta: dict[str, Any] = raw_meta if isinstance(raw_meta, dict) else {}
            links: dict[str, Any] = raw_links if isinstance(raw_links, dict) else {}
            current, last = meta.get("current_page"), meta.get("last_page")
            if not items:
                return
            if isinstance(current, int) and isinstance(last, int):
                if current >= last:
                    return
            elif not meta:
                return  # not paginated: everything came at once
            if "next" in links and not links.get("next"):
                return
            if isinstance(current, int) and current != page:
                # a server ignoring ?page= would otherwise make this loop forever
                raise SolusioBadResponse(f"SolusIO answered page {current} when asked for page {page} of {path}.")
            page += 1

    # -- connection --------------------------------------------------------------------------

    def test_connection(self) -> ConnectionCheck:
        """Prove the URL, the token and its admin rights.

        contract "Endpoints" (whoami row): GET account proves the token [confirmed call]; then an
        admin-only list, GET limit_groups?page=1, proves admin rights [assumed combination].
        """
        user = User.from_api(self._data("GET", "account"))
        try:
            self._t.request("GET", "limit_groups", params={"page": 1})
        except SolusioPermissionError:
            raise SolusioPermissionError(
                f"The API token works (it belongs to {user.email}), but the API token has no admin rights: "
                "generate the token as an administrator of SolusIO.",
                status=403,
            ) from None
        return ConnectionCheck(user=user, installation_url=self.installation_url, api_url=self.api_url)

    # -- limit groups, plans, servers --------------------------------------------------------

    def limit_groups(self) -> Iterator[LimitGroup]:
        """All limit groups, page by page (contract: GET limit_groups, paged)."""
        return (LimitGroup.from_api(d) for d in self._paged("limit_groups"))

    def plans(self) -> Iterator[Plan]:
        """All plans, page by page (contract: GET plans, paged)."""
        return (Plan.from_api(d) for d in self._paged("plans"))

    def get_plan(self, plan_id: int) -> Plan:
        return Plan.from_api(self._data("GET", f"plans/{int(plan_id)}"))

    def servers_of_user(self, user_id: int) -> Iterator[Server]:
        """The user's servers, page by page (contract: GET servers?filter[user_id]=N)."""
        return (Server.from_api(d) for d in self._paged("servers", {"user_id": int(user_id)}))

    # -- users -------------------------------------------------------------------------------

    def find_user_by_email(self, email: str) -> User | None:
        """The user whose email equals ``email`` (case-insensitively), or None.

        contract: GET users?filter[search]=<email> is a SUBSTRING search, so compare every result
        on every page until the exact match turns up.
        """
        wanted = email.strip().casefold()
        if not wanted:
            raise ValueError("email is empty")
        for item in self._paged("users", {"search": email.strip()}):
            if isinstance(item, dict) and str(item.get("email", "")).strip().casefold() == wanted:
                return User.from_api(item)
        return None

    def users(self, *, on_page: Callable[[int], None] | None = None, workers: int = 1) -> Iterator[User]:
        """Every user, one request per page (contract: GET users, paged), in page order.

        ``workers`` > 1 fetches pages 2..last concurrently, that many in flight at most
        (``paging.read_pages_concurrently``: a user seen twice because the list shifted is
        yielded once); 1 reads one page at a time.
        """
        if workers > 1:
            items = read_pages_concurrently(self._t, "users", workers=workers, on_page=on_page)
            return (User.from_api(d) for d in items)
        return (User.from_api(d) for d in self._paged("users", on_page=on_page))

    def get_user(self, user_id: int) -> User:
        return User.from_api(self._data("GET", f"users/{int(user_id)}"))

    def create_user(
        self,
        email: str,
        password: str,
        *,
        limit_group_id: int | None = None,
        billing_user_id: int | None = None,
        status: str = "active",
    ) -> User:
        """Create a user (contract: POST users -> 201), safe to retry.

        POST is not idempotent, so the transport never repeats it once it may have reached the
        server. This method instead looks the email up before every attempt: if the user exists
        (created by an earlier attempt whose answer was lost, or before), it is returned.
        """
        self._check_status(status)
        body: dict[str, Any] = {"email": email, "password": password, "status": status}
        if limit_group_id is not None:
            body["limit_group_id"] = int(limit_group_id)
        if billing_user_id is not None:
            body["billing_user_id"] = int(billing_user_id)
        attempt = 0
        while True:
            existing = self.find_user_by_email(email)
            if existing is not None:
                if attempt:
                    log.info("SolusIO user %s was created by an earlier attempt; using it", existing.id)
                return existing
            try:
                return User.from_api(self._data("POST", "users", body=body, secrets=(password,)))
            except (SolusioTimeout, SolusioConnectionError, SolusioServerError) as exc:
                if attempt >= self.options.retries:
                    raise
                attempt += 1
                log.warning("SolusIO create user: %s; checking whether it was created", exc.message)
                # waits like the transport's retries, so a POST still in flight can land first
                self._t.pause(attempt)
            except SolusioValidationError as exc:
                # a concurrent creation may have won the race: the email is then taken
                if "email" in exc.errors:
                    existing = self.find_user_by_email(email)
                    if existing is not None:
                        return existing
                raise

    @staticmethod
    def _check_status(status: str) -> None:
        if status not in USER_STATUSES:
            raise ValueError(f"status must be one of {', '.join(USER_STATUSES)}, not {status!r}")

    def update_user(
        self,
        user_id: int,
        *,
        status: str | None = None,
        password: str | None = None,
        limit_group_id: int | None = None,
        billing_user_id: int | None = None,
    ) -> User:
        """PUT users/{id} with a partial body (contract: "update a user"; limit_group_id and
        billing_user_id [assumed])."""
        body: dict[str, Any] = {}
        if status is not None:
            self._check_status(status)
            body["status"] = status
        if password is not None:
            body["password"] = password
        if limit_group_id is not None:
            body["limit_group_id"] = int(limit_group_id)
        if billing_user_id is not None:
            body["billing_user_id"] = int(billing_user_id)
        if not body:
            raise ValueError("nothing to update")
        secrets = (password,) if password else ()
        return User.from_api(self._data("PUT", f"users/{int(user_id)}", body=body, secrets=secrets))

    def link_user_to_billing(self, user_id: int, billing_user_id: int, *, limit_group_id: int | None = None) -> User:
        """Bind a user to a host client: ONE PUT users/{id} {"billing_user_id", "limit_group_id"}.

        contract "update a user" (billing_user_id and limit_group_id on PUT [assumed]). One request,
        so the user never carries the billing id without the post-pay limit group. PUT is
        idempotent, so the transport may retry it.
        """
        body: dict[str, Any] = {"billing_user_id": int(billing_user_id)}
        if limit_group_id is not None:
            body["limit_group_id"] = int(limit_group_id)
        return User.from_api(self._data("PUT", f"users/{int(user_id)}", body=body))

    @staticmethod
    def is_admin(user: User) -> bool:
        """Whether the user holds an administrator role (``ADMIN_ROLE_NAMES``, [assumed])."""
        return any(role.name.strip().casefold() in ADMIN_ROLE_NAMES for role in user.roles)

    def set_user_status(self, user_id: int, status: str) -> User:
        """Lock, suspend or re-activate a user (contract: PUT users/{id} {"status": ...})."""
        self._check_status(status)
        return self.update_user(user_id, status=status)

    def change_user_email(self, user_id: int, email: str) -> User:
        """contract: PATCH users/{id} {"email": ...}."""
        return User.from_api(self._data("PATCH", f"users/{int(user_id)}", body={"email": email}))

    def delete_user(self, user_id: int) -> None:
        """contract: DELETE users/{id} -> 204. A 404 on a retry (the first try went through) is success."""
        self._t.request("DELETE", f"users/{int(user_id)}", missing_ok_after_retry=True)

    # -- single sign-on ----------------------------------------------------------------------

    def create_login_token(self, user_id: int) -> str:
        """Mint a one-time token acting as the user (contract: POST users/{id}/tokens). Never retried
        once sent: a lost answer leaves an unused token at worst, and the caller may simply ask again."""
        data = self._data("POST", f"users/{int(user_id)}/tokens", body={"is_one_time": True})
        token = data.get("access_token") if isinstance(data, dict) else None
        if not isinstance(token, str) or not token:
            raise SolusioBadResponse("SolusIO created a login token but sent no access_token.")
        return token

    def login_url(self, token: str, url_template: str = DEFAULT_LOGIN_URL_TEMPLATE) -> str:
        """The browser URL that logs in with a one-time token.

        contract "Single sign-on into SolusIO" [assumed path]: the template is an admin setting
        whose default is ``DEFAULT_LOGIN_URL_TEMPLATE``; ``{url}`` is the installation URL
        (no /api/v1, no trailing slash) and ``{token}`` the URL-quoted token.
        """
        return url_template.format(url=self.installation_url, token=quote(token, safe=""))

    # -- settings ----------------------------------------------------------------------------

    def get_settings(self) -> dict[str, Any]:
        """contract: GET settings (many sections; returned as decoded JSON)."""
        data = self._data("GET", "settings")
        if not isinstance(data, dict):
            raise SolusioBadResponse("SolusIO sent settings that are not an object.")
        return data

    def configure_billing_integration(self, url: str, token: str) -> dict[str, Any]:
        """Point SolusIO's billing integration at this host.

        contract "The other direction" [assumed, this project's own contract]: exactly
        PATCH settings {"billing_integration": {"type": "whmcs", "drivers": {"whmcs": {"url", "token"}}}}.
        """
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError("the billing integration url must be an http(s) URL")
        if not isinstance(token, str) or not token:
            raise ValueError("the billing integration token must be a non-empty string")
        body = {"billing_integration": {"type": "whmcs", "drivers": {"whmcs": {"url": url, "token": token}}}}
        data = self._data("PATCH", "settings", body=body, secrets=(token,))
        return data if isinstance(data, dict) else {}

    # -- usage -------------------------------------------------------------------------------

    def usage(self, user_id: int, start: datetime, end: datetime) -> Usage:
        """Token usage of a user over [start, end).

        contract "Usage of a user for a period" [assumed]: THE ONE PLACE for this call:
        GET users/{id}/usage?filter[from]=<RFC 3339 Z>&filter[to]=<RFC 3339 Z>, half-open.
        """
        params = {"filter[from]": _rfc3339(start, "start"), "filter[to]": _rfc3339(end, "end")}
        if end <= start:
            raise ValueError("end must be after start")
        return Usage.from_api(self._data("GET", f"users/{int(user_id)}/usage", params=params))


__all__ = ["SolusioClient", "ClientOptions", "DEFAULT_LOGIN_URL_TEMPLATE", "ADMIN_ROLE_NAMES"]
