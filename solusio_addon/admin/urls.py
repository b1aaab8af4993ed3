"""The URLs the admin types: http(s) URLs (SolusIO, terms pages) and the proxy URL, whose password
is never shown back (``mask_proxy_url``) and is kept when the masked form is submitted again."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

MAX_URL_LENGTH = 500

#: How SolusIO is reached: the client's ``proxy`` argument is None, "" and the URL respectively.
PROXY_MODES: dict[str, str] = {
    "environment": "Use the proxy settings of this host (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)",
    "direct": "Connect directly (no proxy, whatever the environment says)",
    "custom": "Use this proxy",
}
#: What the proxy URL's password is shown as; submitting it back means "the saved password".
PROXY_PASSWORD_MASK = "\u2022" * 4


def http_url_problem(raw: str, label: str) -> str | None:
    """A sentence when ``raw`` is not an http(s) URL with a host, else None."""
    if len(raw) > MAX_URL_LENGTH:
        return f"{label}: use at most {MAX_URL_LENGTH} characters"
    # Not printable: controls, lone surrogates (bytes of an argument that are not UTF-8), invisible
    # format characters; none can be stored or looked up as a host name.
    if any(c.isspace() or not c.isprintable() for c in raw):
        return f"{label}: a URL must not contain spaces or control characters"
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"{label}: {raw!r} is not a valid URL"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return f"{label}: enter a URL starting with http:// or https://"
    return None


def _split_userinfo(netloc: str) -> tuple[str | None, str | None, str]:
    """``user``, ``password`` (raw, as written) and ``host[:port]`` of a URL's netloc; None when absent."""
    userinfo, at, hostport = netloc.rpartition("@")
    if not at:
        return None, None, netloc
    user, colon, password = userinfo.partition(":")
    return user, (password if colon else None), hostport


def _userinfo_parts(url: str) -> tuple[str, str, str | None, str] | None:
    """``("scheme://", user, password or None, "host:port/rest")`` of a URL with a ``user[:password]@``,
    else None. Plain string work (as ``urlsplit`` cuts the authority), so that even a URL that does
    not parse is never shown with its password."""
    prefix, sep, rest = url.partition("//")
    if not sep:  # no scheme typed ("user:pw@proxy:3128"): all of it up to a path is the authority
        prefix, rest = "", url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    userinfo, at, hostport = rest[:end].rpartition("@")
    if not at:
        return None
    user, colon, password = userinfo.partition(":")
    return prefix + sep, user, (password if colon else None), hostport + rest[end:]


def mask_proxy_url(url: str) -> str:
    """``url`` with the password of its ``user:password@`` (if any) replaced by ``PROXY_PASSWORD_MASK``:
    what the admin page and ``hostsim solusio status`` show of a proxy URL."""
    parts = _userinfo_parts(url)
    if parts is None or not parts[2]:
        return url
    prefix, user, _password, rest = parts
    return f"{prefix}{user}:{PROXY_PASSWORD_MASK}@{rest}"


def drop_proxy_password(url: str) -> str:
    """``url`` without the password of its ``user:password@`` (the user name stays)."""
    parts = _userinfo_parts(url)
    if parts is None or parts[2] is None:
        return url
    prefix, user, _password, rest = parts
    return f"{prefix}{user}@{rest}"


_HOST_NAME = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?")
_USER = re.compile(r"([A-Za-z0-9._~!$&'()*+,;=-]|%[0-9A-Fa-f]{2})*")  # RFC 3986 userinfo, before the ':'
_PASSWORD = re.compile(r"([A-Za-z0-9._~!$&'()*+,;=:-]|%[0-9A-Fa-f]{2})*")
PROXY_EXAMPLE = "http://proxy.example.com:3128"
PROXY_LABEL = "Proxy URL"


def _proxy_url_problem(url: str) -> str | None:
    """A sentence when ``url`` is not a usable proxy URL (http(s), host, port, nothing after), else None."""
    label = PROXY_LABEL
    if len(url) > MAX_URL_LENGTH:
        return f"{label}: use at most {MAX_URL_LENGTH} characters"
    if any(c.isspace() or not c.isprintable() for c in url):
        return f"{label}: a URL must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
    except ValueError:
        return f"{label}: not a valid URL; write it as {PROXY_EXAMPLE}"
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return f"{label}: enter a URL starting with http:// or https://, e.g. {PROXY_EXAMPLE}"
    if parts.path not in ("", "/") or "?" in url or "#" in url:
        return f"{label}: give only the scheme, host and port (no path, query or fragment), e.g. {PROXY_EXAMPLE}"
    user, password, hostport = _split_userinfo(parts.netloc)
    if password and PROXY_PASSWORD_MASK[0] in password:
        return (f"{label}: type the proxy password ({PROXY_PASSWORD_MASK} stands for the saved password, "
                "which belongs to another proxy user or to none)")
    if not _USER.fullmatch(user or "") or not _PASSWORD.fullmatch(password or ""):
        return f"{label}: percent-encode special characters of the user name and password (e.g. @ as %40)"
    try:
        port = parts.port
    except ValueError:
        return f"{label}: the port must be a number from 1 to 65535"
    host = parts.hostname or ""
    if hostport.startswith("["):
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return f"{label}: {host!r} is not a valid IPv6 address"
    elif not host or len(host) > 253 or not _HOST_NAME.fullmatch(host):
        return f"{label}: give the proxy's host name or IP address, e.g. {PROXY_EXAMPLE}"
    if port is None:
        return f"{label}: give the proxy's port, e.g. {PROXY_EXAMPLE}"
    if not 1 <= port <= 65535:
        return f"{label}: the port must be from 1 to 65535"
    return None


def _with_saved_password(text: str, stored_url: str) -> str:
    """``text`` with a masked password replaced by the saved one, when the user is the saved user."""
    try:
        new, old = urlsplit(text), urlsplit(stored_url)
    except ValueError:
        return text
    user, password, hostport = _split_userinfo(new.netloc)
    old_user, old_password, _ = _split_userinfo(old.netloc)
    if password == PROXY_PASSWORD_MASK and old_password and user == old_user:
        return new._replace(netloc=f"{user}:{old_password}@{hostport}").geturl()
    return text


def resolve_proxy_url(raw: str, stored_url: str) -> tuple[str, str | None]:
    """The proxy URL to store for what the admin submitted, and a sentence when it is refused.

    The form shows the saved URL masked (``mask_proxy_url``): submitting it unchanged keeps the
    saved URL, and a mask in place of the password of the saved proxy user keeps the saved
    password with an otherwise edited URL. Anything else must be a complete proxy URL.
    """
    text = (raw or "").strip()
    if not text:
        return "", f"{PROXY_LABEL}: a value is required with \"{PROXY_MODES['custom']}\", e.g. {PROXY_EXAMPLE}"
    if stored_url and text == mask_proxy_url(stored_url):
        return stored_url, None
    if PROXY_PASSWORD_MASK in text and stored_url:
        text = _with_saved_password(text, stored_url)
    problem = _proxy_url_problem(text)
    if problem:
        return "", problem
    parts = urlsplit(text)
    return f"{parts.scheme.lower()}://{parts.netloc}", None
