"""The billing-integration API SolusIO calls (contract: docs/solusio-api.md, "The other direction").

Mounted by the host at ``/modules/addons/solusio/``:

* ``GET  api/prices?billing_user_id=N`` -> ``{"data": {"currency": {code, prefix, suffix},
  "token_price": "0.0010"}}``;
* ``POST api/sso {"billing_user_id": N, "destination": "invoices" | "home"}`` -> ``{"url": ...}``,
  a one-time login link valid for ``SSO_TTL`` and usable once;
* ``GET  sso/<nonce>``: the link itself; logs the client in and redirects.

Both API calls need ``Authorization: Bearer <integration secret>`` (compared in constant time)
and answer only for a client enrolled in post-pay (enrolment active, locked or suspended, the
client not closed): SolusIO has no business pricing or logging into any other host client.
Errors are JSON ``{"error": {"code", "message"}}``: 401 bad or missing secret, 400 bad input
(including JSON nested too deeply), 404 ``unknown_user`` (no such client, not enrolled, enrolment
pending, or client closed), 409 the client's currency has no token price, 413 a body over
``MAX_BODY`` bytes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from flask import Blueprint, jsonify, redirect, request
from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from hostsim.addon_api import Client, ClientStatus
from hostsim.addon_api.web import client_ip, csrf_exempt_blueprint, sign_in_client
from solusio_addon.admin import pricing
from solusio_addon.admin import settings as addon_settings
from solusio_addon.db.models import Enrolment, EnrolmentStatus, SsoLink

if TYPE_CHECKING:
    from hostsim.addon_api import Host

log = logging.getLogger(__name__)

SSO_TTL = timedelta(seconds=60)
DESTINATIONS = {"invoices": "/clientarea/invoices", "home": "/clientarea"}
SSO_PATH = "/modules/addons/solusio/sso/"
INVALID_LINK = "This login link is invalid, has expired or has already been used."
#: SolusIO sends a few dozen bytes; anything this big is not a billing call.
MAX_BODY = 16 * 1024
#: enrolments SolusIO may price and log into (a pending one has no SolusIO user yet)
ENROLLED = (EnrolmentStatus.ACTIVE, EnrolmentStatus.LOCKED, EnrolmentStatus.SUSPENDED)


def _error(status: int, code: str, message: str) -> Response:
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="solusio-billing"'
    return response


def hash_nonce(nonce: str) -> str:
    return hashlib.sha256(nonce.encode("utf-8", "surrogatepass")).hexdigest()


def _authorized(host: "Host") -> bool:
    expected = addon_settings.load_connection(host).integration_secret
    header = request.headers.get("Authorization", "")
    scheme, _, presented = header.partition(" ")
    presented = presented.strip()
    # compare_digest on bytes of any length; an unset secret never matches anything.
    ok = hmac.compare_digest(presented.encode("utf-8", "surrogatepass"), expected.encode())
    return bool(expected) and scheme.lower() == "bearer" and ok


def _billing_user_id(raw: Any) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if 0 < raw < 2**31 else None
    if isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit() and len(raw.strip()) < 11:
        value = int(raw.strip())
        return value if 0 < value < 2**31 else None
    return None


def _enrolled_client(s: Session, client_id: int) -> Client | None:
    """The client when it is enrolled in post-pay and not closed, else None (the same 404 for every
    case, so the answer tells SolusIO nothing about clients it has no business with)."""
    client = s.get(Client, client_id)
    if client is None or client.status is ClientStatus.CLOSED:
        return None
    status = s.scalars(select(Enrolment.status).where(Enrolment.client_id == client_id)).first()
    return client if status in ENROLLED else None


def _json_body() -> tuple[Any, Response | None]:
    """The request's JSON, or the error to answer. The size is checked before anything is parsed,
    and the stdlib parser's RecursionError on deep nesting becomes a 400 instead of a 500."""
    too_large = _error(413, "too_large", f"The request body is limited to {MAX_BODY} bytes.")
    if request.content_length is not None and request.content_length > MAX_BODY:
        return None, too_large
    raw = request.stream.read(MAX_BODY + 1)  # a body without Content-Length is bounded here
    if len(raw) > MAX_BODY:
        return None, too_large
    try:
        return json.loads(raw), None
    except RecursionError:
        return None, _error(400, "bad_request", "The JSON body is nested too deeply.")
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return None, _error(400, "bad_request", "Send a JSON object.")


def create_blueprint(host: "Host") -> Blueprint:
    """The API SolusIO calls (bearer secret, no CSRF) and the one-time SSO link it hands out."""
    bp = Blueprint("solusio", __name__)

    @bp.get("/api/prices")
    def prices() -> Response:
        if not _authorized(host):
            return _error(401, "unauthorized", "A valid bearer secret is required.")
        client_id = _billing_user_id(request.args.get("billing_user_id"))
        if client_id is None:
            return _error(400, "bad_request", "billing_user_id must be a positive whole number.")
        with host.sessions() as s:
            if _enrolled_client(s, client_id) is None:
                return _error(404, "unknown_user", f"No billing user #{client_id}.")
            quote = pricing.quote_for_client(s, client_id)
        assert quote is not None
        if quote.price is None:
            return _error(409, "no_price", f"No token price is set for {quote.code}, the currency of billing user "
                                           f"#{client_id}.")
        return jsonify({"data": {"currency": {"code": quote.code, "prefix": quote.prefix, "suffix": quote.suffix},
                                 "token_price": pricing.format_price(quote.price)}})

    @bp.post("/api/sso")
    def sso() -> Response:
        if not _authorized(host):
            return _error(401, "unauthorized", "A valid bearer secret is required.")
        body, problem = _json_body()
        if problem is not None:
            return problem
        if not isinstance(body, dict):
            return _error(400, "bad_request", "Send a JSON object.")
        client_id = _billing_user_id(body.get("billing_user_id"))
        if client_id is None:
            return _error(400, "bad_request", "billing_user_id must be a positive whole number.")
        destination = body.get("destination") or "home"
        if destination not in DESTINATIONS:
            return _error(400, "bad_request", "destination must be \"invoices\" or \"home\".")
        now = host.clock.now()
        nonce = secrets.token_urlsafe(32)
        with host.transaction() as s:
            if _enrolled_client(s, client_id) is None:
                return _error(404, "unknown_user", f"No billing user #{client_id}.")
            s.add(SsoLink(nonce_hash=hash_nonce(nonce), client_id=client_id, destination=destination,
                          expires_at=now + SSO_TTL))
            # Links live a minute; those older than a day are of no use even as a record.
            s.execute(delete(SsoLink).where(SsoLink.expires_at < now - timedelta(days=1)))
        return jsonify({"url": host.base_url + SSO_PATH + nonce})

    @bp.get("/sso/<nonce>")
    def follow_sso(nonce: str) -> Any:
        now = host.clock.now()
        if len(nonce) > 200:
            return _page_invalid()
        digest = hash_nonce(nonce)
        with host.transaction() as s:
            # One conditional UPDATE: of two concurrent visits exactly one sees a row change.
            used = cast(CursorResult[Any], s.execute(update(SsoLink).where(SsoLink.nonce_hash == digest, SsoLink.used_at.is_(None),
                                                   SsoLink.expires_at > now).values(used_at=now)
                             .execution_options(synchronize_session=False)))
            if used.rowcount != 1:
                return _page_invalid()
            link = s.get(SsoLink, digest)
            assert link is not None
            client = s.get(Client, link.client_id)
            destination = link.destination
            if client is None or client.status is ClientStatus.CLOSED:
                return _page_invalid()
            client_id = client.id
            host.activity.log(f"Client #{client_id} logged in through a SolusIO single sign-on link",
                              client_id=client_id, ip=client_ip(), session=s)
        if not sign_in_client(client_id):
            return _page_invalid()
        return redirect(DESTINATIONS.get(destination, "/clientarea"))

    return csrf_exempt_blueprint(bp)


def _page_invalid() -> Response:
    html = ("<!doctype html><title>Login link not valid</title><h1>Login link not valid</h1>"
            f"<p>{INVALID_LINK}</p><p><a href=\"/login\">Log in</a></p>")
    return Response(html, status=403, mimetype="text/html")
