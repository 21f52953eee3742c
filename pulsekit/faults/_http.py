"""A tiny JSON-over-HTTP client for the fault proxy API (stdlib only: works inside Jupyter's loop)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from pulsekit.errors import FaultError, HaltedError


class ApiAnswer:
    """Status, parsed body and headers of one API call."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers


def call(
    base: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    timeout: float = 10.0,
    ok: tuple[int, ...] = (200, 201, 204),
) -> ApiAnswer:
    """Call the API; raise :class:`HaltedError` on 423, :class:`FaultError` on other failures."""
    url = base.rstrip("/") + urllib.parse.quote(path, safe="/")
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("User-Agent", "pulsekit")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            status, raw, hdrs = response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        status, raw, hdrs = exc.code, exc.read(), dict(exc.headers or {})
    except (OSError, ValueError) as exc:
        raise FaultError(
            f"cannot reach the fault proxy at {base} ({exc}); start one with "
            "`pulsekit faults serve` or pass the sandbox's shop.proxy_url"
        ) from exc
    try:
        parsed: Any = json.loads(raw) if raw.strip() else None
    except ValueError:
        parsed = raw.decode("utf-8", "replace")
    if status in ok:
        return ApiAnswer(status, parsed, hdrs)
    message = parsed.get("error") if isinstance(parsed, dict) else parsed
    if status == 423:
        raise HaltedError(
            f"{message}; run `pulsekit faults release --proxy {base}` or Faults.release()"
        )
    error = FaultError(f"{method} {path} on {base} answered {status}: {message}")
    error.status = status  # type: ignore[attr-defined]
    raise error
