"""Faults: apply and revert faults through a fault proxy's API, plus process faults, all recorded.

>>> shop_faults = Faults(shop.proxy_url, sandbox=shop)             # doctest: +SKIP
>>> with shop_faults.latency("api->db-replica-1", ms=300, ttl="2m"):  # doctest: +SKIP
...     run_load()
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from pulsekit._types import ProxyTarget
from pulsekit._util import check_host_allowed, parse_duration
from pulsekit.errors import ConfigError, FaultError
from pulsekit.faults import process
from pulsekit.faults._fault import Fault
from pulsekit.faults._http import call
from pulsekit.faults.records import FaultLog, FaultRecord, params_of

if TYPE_CHECKING:
    from pulsekit.sandbox.sandbox import Sandbox

DEFAULT_PROXY = "http://127.0.0.1:8474"
TTL_HEADER = "X-Pulsekit-Ttl"


def proxy_url_of(target: ProxyTarget) -> str:
    """The API URL from a URL, a Sandbox (``.proxy_url``), a FaultProxy (``.url``) or None."""
    if target is None:
        return os.environ.get("PULSEKIT_PROXY_URL", DEFAULT_PROXY)
    if isinstance(target, str):
        return target
    for attr in ("proxy_url", "url"):
        value = getattr(target, attr, None)
        if isinstance(value, str):
            return value
    raise ConfigError(f"proxy={target!r} is not a URL, a Sandbox or a FaultProxy")


class Faults:
    """Faults on one fault proxy (and, with ``sandbox=``, on its services), with a shared :class:`FaultLog`.

    Args:
        proxy: the API URL (default ``PULSEKIT_PROXY_URL`` or http://127.0.0.1:8474), or a Sandbox.
        sandbox: the Sandbox whose services process faults may target by name.
        allow: non-loopback hosts allowed for the API (also ``PULSEKIT_ALLOW_HOSTS``).
        ttl: the default TTL of every fault (the proxy reverts it by itself when it expires).
        log: a FaultLog to record into (a new one by default).
        api_timeout: seconds allowed for each call to the proxy's API.
    """

    def __init__(
        self,
        proxy: ProxyTarget = None,
        *,
        sandbox: Sandbox | None = None,
        allow: Iterable[str] = (),
        ttl: str | float = "5m",
        log: FaultLog | None = None,
        api_timeout: float = 10.0,
    ) -> None:
        if sandbox is None and hasattr(proxy, "services") and hasattr(proxy, "proxy_url"):
            sandbox = cast("Sandbox", proxy)
        self.url = proxy_url_of(proxy).rstrip("/")
        check_host_allowed(self.url, allow=allow, what="fault proxy")
        self.sandbox = sandbox
        self.ttl = parse_duration(ttl, field="ttl")
        self.log = log if log is not None else FaultLog()
        self.api_timeout = api_timeout

    def __repr__(self) -> str:
        return f"Faults({self.url!r}, {len(self.log.active())} active)"

    # -- generic --------------------------------------------------------------------------
    def _call(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        return call(self.url, method, path, body, timeout=self.api_timeout, **kw)

    def _ttl(self, ttl: str | float | None) -> float:
        return self.ttl if ttl is None else parse_duration(ttl, field="ttl")

    def _link_error(self, link: str, exc: FaultError) -> FaultError:
        if getattr(exc, "status", None) == 404:
            known = ", ".join(sorted(self.links())) or "(none)"
            return FaultError(f"unknown link {link!r} on {self.url}; the links are: {known}")
        if getattr(exc, "status", None) == 409:
            return FaultError(
                f"{exc}; a fault of that name is already on {link!r}: remove it first or pass name="
            )
        return exc

    def apply(
        self,
        link: str,
        kind: str,
        *,
        stream: str = "downstream",
        toxicity: float = 1.0,
        ttl: str | float | None = None,
        name: str | None = None,
        **attributes: Any,
    ) -> Fault:
        """Add a toxic of type ``kind`` (Toxiproxy attribute names) to ``link``; returns its Fault."""
        seconds = self._ttl(ttl)
        name = name or f"{kind}_{stream}"
        body = {
            "name": name,
            "type": kind,
            "stream": stream,
            "toxicity": toxicity,
            "attributes": attributes,
        }
        try:
            answer = self._call(
                "POST",
                f"/proxies/{link}/toxics",
                body,
                headers={TTL_HEADER: f"{seconds:g}"},
            )
        except FaultError as exc:
            raise self._link_error(link, exc) from exc
        expires = answer.headers.get("X-Pulsekit-Expires-At")
        record = self.log.add(
            FaultRecord(
                kind=kind,
                target=link,
                params=params_of(
                    {**attributes, "stream": stream, "toxicity": toxicity, "name": name}
                ),
                applied_at=time.time(),
                expires_at=float(expires) if expires else None,
                source=self.url,
                id=uuid.uuid4().hex[:12],
            )
        )

        def undo() -> str:
            try:
                self._call("DELETE", f"/proxies/{link}/toxics/{name}")
            except FaultError as exc:
                if getattr(exc, "status", None) == 404:
                    return "gone"  # TTL expiry, reset, halt or someone else removed it
                raise
            return "api"

        return Fault(self.log, record, undo)

    # -- network faults (Toxiproxy toxics) -----------------------------------------------
    def latency(
        self,
        link: str,
        *,
        ms: int = 200,
        jitter_ms: int = 0,
        stream: str = "downstream",
        toxicity: float = 1.0,
        ttl: str | float | None = None,
    ) -> Fault:
        """Delay every chunk on ``link`` by ``ms`` ± ``jitter_ms`` (one way, as Toxiproxy)."""
        return self.apply(
            link, "latency", stream=stream, toxicity=toxicity, ttl=ttl, latency=ms, jitter=jitter_ms
        )

    def bandwidth(
        self, link: str, *, kbps: int, stream: str = "downstream", ttl: str | float | None = None
    ) -> Fault:
        """Limit ``link`` to ``kbps`` kilobytes per second (Toxiproxy's ``rate``, KB/s)."""
        return self.apply(link, "bandwidth", stream=stream, ttl=ttl, rate=kbps)

    def timeout(
        self, link: str, *, ms: int = 0, stream: str = "downstream", ttl: str | float | None = None
    ) -> Fault:
        """Drop all data on ``link``, closing after ``ms`` (0: a black hole until removed)."""
        return self.apply(link, "timeout", stream=stream, ttl=ttl, timeout=ms)

    def reset_peer(
        self,
        link: str,
        *,
        after_ms: int = 0,
        stream: str = "downstream",
        ttl: str | float | None = None,
    ) -> Fault:
        """Answer the first data after ``after_ms`` with a TCP RST (connection reset by peer)."""
        return self.apply(link, "reset_peer", stream=stream, ttl=ttl, timeout=after_ms)

    def slow_close(
        self,
        link: str,
        *,
        delay_ms: int,
        stream: str = "downstream",
        ttl: str | float | None = None,
    ) -> Fault:
        """Hold every close on ``link`` for ``delay_ms``."""
        return self.apply(link, "slow_close", stream=stream, ttl=ttl, delay=delay_ms)

    def slicer(
        self,
        link: str,
        *,
        average_size: int = 64,
        size_variation: int = 32,
        delay_us: int = 10,
        stream: str = "downstream",
        ttl: str | float | None = None,
    ) -> Fault:
        """Cut data into small writes of ``average_size`` ± ``size_variation`` bytes."""
        return self.apply(
            link,
            "slicer",
            stream=stream,
            ttl=ttl,
            average_size=average_size,
            size_variation=size_variation,
            delay=delay_us,
        )

    def limit_data(
        self, link: str, *, nbytes: int, stream: str = "downstream", ttl: str | float | None = None
    ) -> Fault:
        """Close each connection after ``nbytes`` bytes."""
        return self.apply(link, "limit_data", stream=stream, ttl=ttl, bytes=nbytes)

    def packet_loss(
        self,
        link: str,
        *,
        rate: float = 0.1,
        correlation: float = 0.0,
        stream: str = "downstream",
        ttl: str | float | None = None,
    ) -> Fault:
        """Drop whole chunks with probability ``rate`` (bursty with ``correlation``)."""
        return self.apply(
            link, "packet_loss", stream=stream, ttl=ttl, loss_rate=rate, correlation=correlation
        )

    def http_errors(
        self,
        link: str,
        *,
        status: int = 503,
        rate: float = 1.0,
        body: str | None = None,
        content_type: str = "text/plain",
        ttl: str | float | None = None,
    ) -> Fault:
        """Turn a fraction ``rate`` of HTTP responses on ``link`` into ``status`` (per response)."""
        extra: dict[str, Any] = {}
        if body is not None:
            extra = {"modify_response_body": 1, "response_body": body, "content_type": content_type}
        return self.apply(link, "status_code", toxicity=rate, ttl=ttl, status_code=status, **extra)

    def http_headers(
        self,
        link: str,
        headers: dict[str, str],
        *,
        mode: str = "response",
        ttl: str | float | None = None,
    ) -> Fault:
        """Set ``headers`` on every response (``mode="request"``: every request) on ``link``."""
        stream = "upstream" if mode == "request" else "downstream"
        return self.apply(link, "header", stream=stream, ttl=ttl, headers=headers, mode=mode)

    def http_body(
        self, link: str, body: str, *, content_type: str = "", ttl: str | float | None = None
    ) -> Fault:
        """Replace the body of every HTTP response on ``link``."""
        return self.apply(link, "modify_body", ttl=ttl, body=body, content_type=content_type)

    def down(self, link: str, *, ttl: str | float | None = None) -> Fault:
        """Take ``link`` down (Toxiproxy ``enabled: false``): live connections close, new ones are refused."""
        seconds = self._ttl(ttl)
        try:
            self._call(
                "POST", f"/proxies/{link}", {"enabled": False}, headers={TTL_HEADER: f"{seconds:g}"}
            )
        except FaultError as exc:
            raise self._link_error(link, exc) from exc
        now = time.time()
        record = self.log.add(
            FaultRecord(
                kind="down",
                target=link,
                applied_at=now,
                expires_at=now + seconds,
                source=self.url,
                id=uuid.uuid4().hex[:12],
            )
        )

        def undo() -> str:
            self._call("POST", f"/proxies/{link}", {"enabled": True})
            return "api"

        return Fault(self.log, record, undo)

    # -- process faults -------------------------------------------------------------------
    def kill(self, target: str | int, *, allow_foreign: bool = False) -> Fault:
        """SIGKILL a sandbox service or an own child PID; ``remove()`` restarts a service."""
        return process.kill(target, sandbox=self.sandbox, allow_foreign=allow_foreign, log=self.log)

    def freeze(
        self, target: str | int, *, ttl: str | float | None = None, allow_foreign: bool = False
    ) -> Fault:
        """SIGSTOP a process; SIGCONT on remove() or, by a detached watchdog, at the TTL."""
        return process.freeze(
            target,
            ttl=self._ttl(ttl),
            sandbox=self.sandbox,
            allow_foreign=allow_foreign,
            log=self.log,
        )

    def thaw(self, target: str | int, *, allow_foreign: bool = False) -> None:
        """SIGCONT a frozen process."""
        process.thaw(target, sandbox=self.sandbox, allow_foreign=allow_foreign)

    def restart(self, target: str) -> None:
        """Restart a sandbox service."""
        process.restart(target, sandbox=self.sandbox)

    def cpu_hog(self, cores: int = 1, *, ttl: str | float = "30s") -> Fault:
        """Burn ``cores`` CPUs until ``ttl`` (child processes that exit by themselves)."""
        return process.cpu_hog(cores, ttl=ttl, log=self.log)

    def memory_hog(self, mb: int = 100, *, ttl: str | float = "30s") -> Fault:
        """Hold ``mb`` MiB until ``ttl`` (a child process that exits by itself)."""
        return process.memory_hog(mb, ttl=ttl, log=self.log)

    # -- control --------------------------------------------------------------------------
    def links(self) -> dict[str, dict[str, Any]]:
        """Every proxy (link) of the server, as Toxiproxy's ``GET /proxies`` answers."""
        return dict(self._call("GET", "/proxies").body or {})

    def status(self) -> dict[str, Any]:
        """``{"halted", "default_ttl", "max_ttl", "proxies", "active": [...]}``."""
        return dict(self._call("GET", "/pulsekit/status").body)

    def halt(self) -> dict[str, Any]:
        """Revert every fault on the proxy and refuse new ones until :meth:`release`."""
        status = dict(self._call("POST", "/pulsekit/halt").body)
        for record in self.log.active():
            if record.source == self.url:
                self.log.close(record.id, by="halt")
        return status

    def release(self) -> dict[str, Any]:
        """Accept new faults again after a halt."""
        return dict(self._call("POST", "/pulsekit/release").body)

    def reset(self) -> None:
        """Toxiproxy's ``POST /reset``: remove every toxic and re-enable every link."""
        self._call("POST", "/reset")
        for record in self.log.active():
            if record.source == self.url:
                self.log.close(record.id, by="reset")

    def history(self) -> FaultLog:
        """The proxy's own record of every fault (including TTL expiries), as a FaultLog."""
        rows = self._call("GET", "/pulsekit/history").body or []
        return FaultLog(
            FaultRecord(
                kind=row["kind"],
                target=row["proxy"],
                params=params_of(
                    {
                        **row.get("attributes", {}),
                        "stream": row.get("stream"),
                        "toxic": row.get("toxic"),
                    }
                ),
                applied_at=row["applied_at"],
                reverted_at=row["reverted_at"],
                reverted_by=row["reverted_by"],
                expires_at=row["expires_at"],
                source=self.url,
                id=str(row["id"]),
            )
            for row in rows
        )

    def revert_all(self, *, by: str = "exit") -> None:
        """Revert every fault this object applied that is still active (best effort)."""
        for record in self.log.active():
            if record.source == self.url:
                _revert_record(self, record, by)


def _revert_record(faults: Faults, record: FaultRecord, by: str) -> None:
    params = dict(record.params)
    try:
        if record.kind == "down":
            faults._call("POST", f"/proxies/{record.target}", {"enabled": True})
        else:
            name = params.get("name") or f"{record.kind}_{params.get('stream', 'downstream')}"
            faults._call("DELETE", f"/proxies/{record.target}/toxics/{name}")
    except FaultError:
        pass
    faults.log.close(record.id, by=by)


def connect(target: ProxyTarget = None, **kwargs: Any) -> Faults:
    """``faults.connect(shop)`` or ``faults.connect("http://127.0.0.1:8474")``: a :class:`Faults`."""
    return Faults(target, **kwargs)
