"""Small shared helpers: durations, loopback/allow-list checks, atomic writes."""

from __future__ import annotations

import ipaddress
import math
import os
import re
import shutil
import socket
import tempfile
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

from pulsekit.errors import DurationError, NotAllowedError

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")


def parse_duration(value: str | float | int, *, field: str = "duration") -> float:
    """Seconds from ``30``, ``"30s"``, ``"1m30s"``, ``"250ms"``, ``"2h"``, ``"30d"``.

    >>> parse_duration("1m30s")
    90.0
    """
    if isinstance(value, bool):
        raise DurationError(
            f"{field}={value!r} is not a duration; use seconds or a string like '30s'"
        )
    if isinstance(value, int | float):
        if value < 0:
            raise DurationError(
                f"{field}={value!r} is negative; use a positive duration like '30s'"
            )
        return float(value)
    text = str(value).strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    pos, total = 0, 0.0
    for match in _PART.finditer(text):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNITS[match.group(2)]
        pos = match.end()
    if pos != len(text) or not text:
        raise DurationError(
            f"{field}={value!r} is not a duration; use a number of seconds or a string like "
            "'30s', '1m30s', '250ms', '2h' or '30d'"
        )
    return total


def format_duration(seconds: float) -> str:
    """Shortest exact Prometheus-style duration: ``30d``, ``1h``, ``5m``, ``90s``, ``833ms``."""
    if math.isinf(seconds):
        return "never"
    ms = round(seconds * 1000)
    if ms <= 0:
        return "0s"
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def allowed_hosts(extra: Iterable[str] | None = None) -> set[str]:
    """Hosts allowed beside loopback: ``extra`` plus ``PULSEKIT_ALLOW_HOSTS`` (comma-separated)."""
    hosts = {h.strip().lower() for h in os.environ.get("PULSEKIT_ALLOW_HOSTS", "").split(",")}
    hosts.update(h.strip().lower() for h in (extra or ()))
    hosts.discard("")
    return hosts


def is_loopback(host: str) -> bool:
    """True for ``localhost``, any address in 127.0.0.0/8 or ::1, and a ``*.localhost`` name
    whose every resolved address is loopback (resolvers may answer such names with anything)."""
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    if host.endswith(".localhost"):
        return _resolves_to_loopback(host)
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _resolves_to_loopback(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return False
    addresses = {str(info[4][0]).split("%")[0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***`` (``http://user:***@host``), for output."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    netloc, sep, tail = rest.partition("/")
    if "@" not in netloc:
        return url
    userinfo, host = netloc.rsplit("@", 1)
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{sep}{tail}"


def check_host_allowed(
    target: str, *, allow: Iterable[str] | None = None, what: str = "target"
) -> str:
    """Return the host of ``target`` (URL or ``host:port``) or raise :class:`NotAllowedError`."""
    host = urlsplit(target).hostname if "://" in target else target.rsplit(":", 1)[0]
    host = (host or "").strip("[]")
    shown = redact_url(target)
    if not host:
        raise NotAllowedError(f"{what} {shown!r} has no host; use a URL like http://127.0.0.1:8080")
    if is_loopback(host) or host.lower() in allowed_hosts(allow):
        return host
    raise NotAllowedError(
        f"{what} {shown!r}: host {host} is not loopback and not on the allow-list; "
        f'pass allow=["{host}"] (CLI: --allow {host}) or set PULSEKIT_ALLOW_HOSTS={host}'
    )


def find_executable(name: str, *, env_var: str | None = None) -> str | None:
    """``$env_var`` if set, else ``name`` on PATH, else ``/usr/bin/NAME``; None when none exists."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    fallback = Path("/usr/bin") / name
    return shutil.which(name) or (str(fallback) if fallback.exists() else None)


def free_port(host: str = "127.0.0.1") -> int:
    """An ephemeral TCP port that was free a moment ago (prefer binding port 0 yourself)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def atomic_write(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write ``data`` to ``path`` through a temp file and a rename, so readers never see half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    mode = "wb" if isinstance(data, bytes) else "w"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode) as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
