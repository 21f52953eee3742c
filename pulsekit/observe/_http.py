"""Tiny stdlib HTTP helpers for loopback scraping and the Prometheus API (no extra dependency)."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

_HEADERS = {"User-Agent": "pulsekit-observe", "Accept": "text/plain;version=0.0.4;q=1,*/*;q=0.1"}


def get_text(url: str, *, timeout: float) -> str:
    """GET ``url`` and return its body; raises OSError/urllib errors to the caller."""
    request = urllib.request.Request(url, headers=_HEADERS)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        charset = response.headers.get_content_charset() or "utf-8"
        return str(response.read().decode(charset, errors="replace"))


def get_status(url: str, *, timeout: float) -> int:
    """HTTP status of a GET, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except (OSError, ValueError):
        return 0


def post_form_json(url: str, params: dict[str, str], *, timeout: float) -> tuple[int, Any]:
    """POST form ``params`` and decode a JSON answer; returns (status, body) even for 4xx/5xx."""
    data = urllib.parse.urlencode(params).encode()
    request = urllib.request.Request(url, data=data, headers={"User-Agent": "pulsekit-observe"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        body = exc.read()
        try:
            return int(exc.code), json.loads(body)
        except ValueError:
            return int(exc.code), {"error": body.decode(errors="replace")[:500]}
