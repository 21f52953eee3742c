"""What a run sends: the sandbox's task mixes, or one plain request of the exact URL (as k6 and wrk).

A target is a sandbox when it is a :class:`~pulsekit.sandbox.Sandbox` object, or when its URL is a
root URL (no path, no query) whose server answers ``GET /_pulsekit/sandbox`` as the sandbox
gateway does (one request with a 2 s timeout before the run). Anything else gets a plain request.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from pulsekit.errors import ConfigError

SANDBOX_PROBE_PATH = "/_pulsekit/sandbox"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


@dataclass(frozen=True)
class PlainRequest:
    """One HTTP request repeated by every virtual user: method, absolute URL, headers, body."""

    method: str
    url: str  # without user:password (that became an Authorization header)
    name: str  # the endpoint label: the path, without the query string
    headers: tuple[tuple[str, str], ...] = field(default=())
    body: str | None = None

    def to_config(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "url": self.url,
            "name": self.name,
            "headers": [list(h) for h in self.headers],
            "body": self.body,
        }


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` -> ``("Name", "value")``, or a ConfigError naming the header."""
    name, sep, value = str(text).partition(":")
    name = name.strip()
    if not sep or not _TOKEN.fullmatch(name):
        raise ConfigError(f"header {text!r} must look like 'Name: value', e.g. 'Accept: text/html'")
    if "\n" in value or "\r" in value:
        raise ConfigError(f"header {name!r} has a line break in its value; remove it")
    return name, value.strip()


def _headers(headers: Mapping[str, str] | Iterable[str] | None) -> tuple[tuple[str, str], ...]:
    if headers is None:
        return ()
    if isinstance(headers, str):
        return (parse_header(headers),)
    if isinstance(headers, Mapping):
        return tuple(parse_header(f"{k}: {v}") for k, v in headers.items())
    return tuple(parse_header(h) for h in headers)


def plain_request(
    url: str,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | Iterable[str] | None = None,
    body: str | bytes | None = None,
) -> PlainRequest:
    """The request a plain URL gets (``GET`` by default); user:password becomes Basic auth."""
    verb = (method or "GET").upper() if isinstance(method, str | None) else ""
    if verb not in METHODS:
        raise ConfigError(f"method={method!r} is not one of {', '.join(METHODS)}")
    if isinstance(body, bytes):
        try:
            body = body.decode()
        except UnicodeDecodeError as exc:
            raise ConfigError(
                "body= must be text (UTF-8); send binary bodies from a locustfile"
            ) from exc
    if body is not None and not isinstance(body, str):
        raise ConfigError(f"body={body!r} must be a string (or UTF-8 bytes)")
    pairs = _headers(headers)
    parts = urlsplit(url)
    if parts.username is not None and not any(k.lower() == "authorization" for k, _ in pairs):
        token = f"{unquote(parts.username)}:{unquote(parts.password or '')}".encode()
        pairs += (("Authorization", "Basic " + base64.b64encode(token).decode()),)
    netloc = parts.hostname or ""
    if ":" in netloc:  # an IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    path = parts.path or "/"
    clean = urlunsplit((parts.scheme, netloc, path, parts.query, ""))
    return PlainRequest(method=verb, url=clean, name=path, headers=pairs, body=body)


def is_sandbox_object(target: Any) -> bool:
    """True for a pulsekit Sandbox (imported only when the target is not a plain string)."""
    if isinstance(target, str):
        return False
    from pulsekit.sandbox.sandbox import Sandbox

    return isinstance(target, Sandbox)


def probe_sandbox(url: str, *, timeout: float = 2.0) -> bool:
    """True when ``url`` is a root URL served by a pulsekit sandbox gateway."""
    import urllib.error
    import urllib.request

    parts = urlsplit(url)
    if parts.path not in ("", "/") or parts.query or parts.username is not None:
        return False
    probe = urlunsplit((parts.scheme, parts.netloc, SANDBOX_PROBE_PATH, "", ""))
    try:
        with urllib.request.urlopen(probe, timeout=timeout) as resp:
            if resp.status != 200:
                return False
            doc = json.loads(resp.read(4096))
    except (OSError, ValueError, urllib.error.URLError):
        return False
    return isinstance(doc, dict) and doc.get("pulsekit") == "sandbox"


def validate(
    url: str,
    *,
    mix: str | None,
    custom: bool,
    method: str | None,
    headers: Mapping[str, str] | Iterable[str] | None,
    body: str | bytes | None,
) -> None:
    """Refuse conflicting choices and malformed request parts before any network traffic."""
    if method is None and headers is None and body is None:
        return
    if custom:
        raise ConfigError(
            "method=/headers=/body= describe a plain URL; a locustfile or user_class "
            "sends its own requests"
        )
    if mix is not None:
        raise ConfigError("pass mix= (a sandbox task mix) or method=/headers=/body=, not both")
    plain_request(url, method=method, headers=headers, body=body)


def choose(
    target: Any,
    url: str,
    *,
    method: str | None = None,
    headers: Mapping[str, str] | Iterable[str] | None = None,
    body: str | bytes | None = None,
) -> str | PlainRequest:
    """The ``shopper`` mix for a sandbox, else the plain request of ``url`` (no mix was given)."""
    if method is not None or headers is not None or body is not None:
        return plain_request(url, method=method, headers=headers, body=body)
    if is_sandbox_object(target) or probe_sandbox(url):
        return "shopper"
    return plain_request(url)
