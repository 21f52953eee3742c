"""Proxies and their toxics as Toxiproxy 2.12 manages them, plus pulsekit's TTLs, halt and history."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import socket
import time
from collections import deque
from collections.abc import Iterable
from typing import Any

from pulsekit._util import allowed_hosts, check_host_allowed, parse_duration
from pulsekit.errors import PulsekitError
from pulsekit.faults._pipes import ClientSide, Conn
from pulsekit.faults._toxics import (
    ApiError,
    Toxic,
    check_attributes,
    check_name,
    check_time_bounds,
    check_toxicity,
    parse_toxic,
)

STREAMS = ("upstream", "downstream")
_HISTORY = 10_000
_PORT = re.compile(r"[0-9]{1,5}")


def split_hostport(value: Any, *, field: str, any_port: bool = False) -> tuple[str, int]:
    """``(host, port)`` of a ``host:port`` string with a port in 1-65535 (0 too when ``any_port``)."""
    if not isinstance(value, str):
        raise ApiError(400, f"bad request body: {field} must be a host:port string, got {value!r}")
    host, sep, port = value.rpartition(":")
    low = 0 if any_port else 1
    if not sep or not _PORT.fullmatch(port) or not low <= int(port) <= 65535:
        raise ApiError(
            400, f"bad request body: {field} {value!r} must be host:port with a port {low}-65535"
        )
    return host.strip("[]"), int(port)


class Proxy:
    """One named listener forwarding to an upstream, with two toxic chains."""

    def __init__(self, name: str, listen: str, upstream: str, enabled: bool) -> None:
        self.name = name
        self.listen = listen
        self.upstream = upstream
        self.upstream_addr = split_hostport(upstream, field="upstream")
        self.enabled = enabled
        self.chains: dict[str, list[Toxic]] = {"upstream": [], "downstream": []}
        self.conns: set[Conn] = set()
        self.received = {"upstream": 0, "downstream": 0}
        self.sent = {"upstream": 0, "downstream": 0}
        self.server: asyncio.AbstractServer | None = None
        self.down_record: dict[str, Any] | None = None

    async def start(self) -> None:
        host, port = split_hostport(self.listen, field="listen", any_port=True)
        loop = asyncio.get_running_loop()
        family = socket.AF_UNSPEC
        if host in ("", "0.0.0.0"):
            host, family = "0.0.0.0", socket.AF_INET
        else:
            try:
                infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            except OSError as exc:  # socket.gaierror: the caller's input, not our trouble
                raise ApiError(
                    400, f"bad request body: listen host {host!r} cannot be resolved ({exc})"
                ) from exc
            infos.sort(key=lambda info: info[0] != socket.AF_INET)
            host = str(infos[0][4][0])
        try:
            self.server = await loop.create_server(
                lambda: ClientSide(self),
                host,
                port,
                family=family,
                backlog=2048,
                reuse_address=True,
            )
        except OSError as exc:
            raise ApiError(500, f"listen tcp {self.listen}: {exc.strerror or exc}") from exc
        bound = self.server.sockets[0].getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        self.listen = f"{shown}:{bound[1]}"

    def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            self.server = None
        for conn in list(self.conns):
            conn.close(abort=True)

    def bytes_total(self, which: str, stream: str) -> int:
        """Bytes received or sent on ``stream``: closed connections plus the open ones."""
        closed = (self.received if which == "received" else self.sent)[stream]
        pipes = (c.up if stream == "upstream" else c.down for c in self.conns)
        return closed + sum(p.rx if which == "received" else p.tx for p in pipes)

    def toxics(self) -> list[Toxic]:
        return self.chains["upstream"] + self.chains["downstream"]

    def find(self, name: str) -> Toxic | None:
        return next((t for t in self.toxics() if t.name == name), None)

    def toxics_changed(self) -> None:
        for conn in list(self.conns):
            conn.up.kick()
            conn.down.kick()

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "listen": self.listen,
            "upstream": self.upstream,
            "enabled": self.enabled,
            "toxics": [t.to_json() for t in self.toxics()],
        }


class ProxyCollection:
    """Every proxy of one server, the TTL timers (dead-man switch), the halt lever and the history."""

    def __init__(
        self,
        *,
        allow: Iterable[str] = (),
        default_ttl: float = 300.0,
        max_ttl: float = 3600.0,
        ignore_ttl: bool = False,
    ) -> None:
        self.proxies: dict[str, Proxy] = {}
        self.ignore_ttl = ignore_ttl  # a plain Toxiproxy: faults last until removed
        self.allow = list(allow)
        self.default_ttl = default_ttl
        self.max_ttl = max_ttl
        self.halted = False
        self.history: deque[dict[str, Any]] = deque(maxlen=_HISTORY)
        self._ids = itertools.count(1)
        self._timers: dict[int, asyncio.TimerHandle] = {}

    # -- helpers ------------------------------------------------------------------------
    def get(self, name: str) -> Proxy:
        proxy = self.proxies.get(name)
        if proxy is None:
            raise ApiError(404, "proxy not found")
        return proxy

    def ttl_of(self, value: Any) -> float:
        if value is None or value == "":
            return self.default_ttl
        try:
            ttl = parse_duration(value, field="pulsekit_ttl")
        except PulsekitError as exc:
            raise ApiError(400, f"bad request body: {exc}") from exc
        if ttl <= 0 or ttl > self.max_ttl:
            raise ApiError(
                400,
                f"bad request body: pulsekit_ttl {ttl:g}s must be above 0 and at most the "
                f"server's maximum {self.max_ttl:g}s (raise it with --max-ttl)",
            )
        return ttl

    def _check_upstream(self, upstream: Any) -> None:
        split_hostport(upstream, field="upstream")
        try:
            check_host_allowed(upstream, allow=self.allow, what="upstream")
        except PulsekitError as exc:
            raise ApiError(403, str(exc)) from exc

    def _check_listen(self, listen: Any) -> str:
        """The listen address to bind: loopback unless the allow-list names the host.

        A wildcard (``0.0.0.0:0``, ``[::]:0``, ``:0``, what several Toxiproxy clients send) binds
        loopback instead, and the answer shows it; any other non-loopback host is refused, so a
        proxy never publishes a loopback-only service to the network.
        """
        host, port = split_hostport(listen, field="listen", any_port=True)
        if host.lower() in allowed_hosts(self.allow):
            return str(listen)
        if host in ("", "0.0.0.0"):
            return f"127.0.0.1:{port}"
        if host == "::":
            return f"[::1]:{port}"
        try:
            check_host_allowed(listen, allow=self.allow, what="listen address")
        except PulsekitError as exc:
            raise ApiError(403, str(exc)) from exc
        return str(listen)

    def _check_enabled(self, value: Any) -> bool | None:
        if value is None or isinstance(value, bool):
            return value
        raise ApiError(400, f"bad request body: enabled must be true or false, got {value!r}")

    def _refuse_if_halted(self) -> None:
        if self.halted:
            raise ApiError(
                423, "faults are halted: new faults are refused until POST /pulsekit/release"
            )

    def _open(self, kind: str, proxy: Proxy, ttl: float, **info: Any) -> dict[str, Any]:
        now = time.time()
        record = {
            "id": next(self._ids),
            "kind": kind,
            "proxy": proxy.name,
            "applied_at": now,
            "expires_at": None if self.ignore_ttl else now + ttl,
            "reverted_at": None,
            "reverted_by": None,
            **info,
        }
        self.history.append(record)
        if not self.ignore_ttl:
            loop = asyncio.get_running_loop()
            self._timers[record["id"]] = loop.call_later(ttl, self._expire, record)
        return record

    def _close(self, record: dict[str, Any] | None, by: str) -> None:
        if record is None or record["reverted_at"] is not None:
            return
        record["reverted_at"] = time.time()
        record["reverted_by"] = by
        timer = self._timers.pop(record["id"], None)
        if timer is not None:
            timer.cancel()

    def _expire(self, record: dict[str, Any]) -> None:
        self._timers.pop(record["id"], None)
        proxy = self.proxies.get(record["proxy"])
        if proxy is None or record["reverted_at"] is not None:
            return
        if record["kind"] == "down":
            proxy.down_record = None
            self._close(record, "ttl")
            asyncio.get_running_loop().create_task(self._enable(proxy, retry=True))
            return
        toxic = proxy.find(record["toxic"])
        if toxic is not None and toxic.extra.get("record") is record:
            self._drop_toxic(proxy, toxic, "ttl")

    async def _enable(self, proxy: Proxy, *, retry: bool = False) -> None:
        if proxy.enabled:
            return
        try:
            await proxy.start()
        except ApiError:
            if not retry:
                raise
            # the listen port was taken meanwhile: the link stays down, visibly, and is retried
            proxy.down_record = self._open(
                "down", proxy, self.default_ttl, toxic=None, attributes={}, note="re-enable failed"
            )
            return
        proxy.enabled = True

    # -- proxies ------------------------------------------------------------------------
    async def create(self, body: Any, *, replace: bool = False, ttl: Any = None) -> Proxy:
        if not isinstance(body, dict):
            raise ApiError(400, "bad request body: expected a JSON object")
        for key in ("name", "upstream"):
            if body.get(key) in (None, ""):
                raise ApiError(400, f"missing required field: {key}")
        name, upstream = check_name(body["name"], what="proxy name"), body["upstream"]
        listen = body.get("listen") or "127.0.0.1:0"
        enabled = self._check_enabled(body.get("enabled"))
        self._check_upstream(upstream)
        listen = self._check_listen(listen)
        seconds = 0.0
        if enabled is False:  # a link created down is a "down" fault: halt and a TTL cover it
            self._refuse_if_halted()
            seconds = self.ttl_of(ttl if ttl is not None else body.get("pulsekit_ttl"))
        old = self.proxies.get(name)
        if old is not None:
            if not replace:
                raise ApiError(409, "proxy already exists")
            if old.upstream == upstream and _same_listen(old.listen, listen):
                return old
            await self.delete(name)
        proxy = Proxy(name, listen, upstream, enabled is not False)
        if proxy.enabled:
            await proxy.start()
        else:
            proxy.down_record = self._open("down", proxy, seconds, toxic=None, attributes={})
        self.proxies[name] = proxy
        return proxy

    async def populate(self, body: Any) -> list[Proxy]:
        if not isinstance(body, list):
            raise ApiError(400, "bad request body: expected a JSON array of proxies")
        for index, item in enumerate(body):
            if not isinstance(item, dict):
                raise ApiError(400, f"bad request body: proxy {index} is not an object")
            for key in ("name", "upstream"):
                if item.get(key) in (None, ""):
                    raise ApiError(400, f"missing required field: {key} at proxy {index + 1}")
            check_name(item["name"], what=f"proxy name at proxy {index + 1}")
            self._check_upstream(item["upstream"])
            self._check_listen(item.get("listen") or "127.0.0.1:0")
        done: list[Proxy] = []
        for item in body:
            # as Toxiproxy's populate: every proxy is created enabled, so populate never takes a
            # link down behind the halt lever and the TTLs
            item = {**item, "enabled": True}
            try:
                done.append(await self.create(item, replace=True))
            except ApiError as exc:
                exc.extra["proxies"] = [p.to_json() for p in done]
                raise
        return done

    async def update(self, name: str, body: Any, *, ttl: Any = None) -> Proxy:
        proxy = self.get(name)
        if not isinstance(body, dict):
            raise ApiError(400, "bad request body: expected a JSON object")
        # validate everything first: a refused update applies nothing
        listen = body.get("listen") or proxy.listen
        upstream = body.get("upstream") or proxy.upstream
        enabled = self._check_enabled(body.get("enabled"))
        listen = self._check_listen(listen)
        if upstream != proxy.upstream:
            self._check_upstream(upstream)
        seconds = 0.0
        if enabled is False and proxy.enabled:
            self._refuse_if_halted()
            seconds = self.ttl_of(ttl)
        restart = upstream != proxy.upstream or not _same_listen(proxy.listen, listen)
        if restart:
            await self._move(proxy, listen, upstream)
        if enabled is False and proxy.enabled:
            proxy.stop()
            proxy.enabled = False
            proxy.down_record = self._open("down", proxy, seconds, toxic=None, attributes={})
        elif enabled is True and not proxy.enabled:
            await self._enable(proxy)
            self._close(proxy.down_record, "api")
            proxy.down_record = None
        return proxy

    async def _move(self, proxy: Proxy, listen: str, upstream: str) -> None:
        """Point ``proxy`` at a new listen/upstream; on failure it is left exactly as it was."""
        old = (proxy.listen, proxy.upstream, proxy.upstream_addr)
        proxy.upstream_addr = split_hostport(upstream, field="upstream")
        proxy.upstream = upstream
        if not proxy.enabled:
            proxy.listen = listen
            return
        proxy.stop()
        proxy.listen = listen
        try:
            await proxy.start()
        except ApiError:
            proxy.listen, proxy.upstream, proxy.upstream_addr = old
            with contextlib.suppress(ApiError):
                await proxy.start()
            if proxy.server is None:  # the old address was taken meanwhile: say so, and retry
                proxy.enabled = False
                proxy.down_record = self._open(
                    "down", proxy, self.default_ttl, toxic=None, attributes={}
                )
            raise

    async def delete(self, name: str) -> None:
        proxy = self.get(name)
        proxy.stop()
        for toxic in proxy.toxics():
            self._close(toxic.extra.get("record"), "delete")
        self._close(proxy.down_record, "delete")
        del self.proxies[name]

    # -- toxics -------------------------------------------------------------------------
    def add_toxic(self, name: str, body: Any, *, ttl: Any = None) -> Toxic:
        proxy = self.get(name)
        toxic = parse_toxic(body)
        check_time_bounds(toxic.type, toxic.attributes, self.max_ttl)
        if isinstance(body, dict) and ttl is None:
            ttl = body.get("pulsekit_ttl")
        seconds = self.ttl_of(ttl)
        if proxy.find(toxic.name) is not None:
            raise ApiError(409, "toxic already exists")
        self._refuse_if_halted()
        toxic.extra["record"] = self._open(
            toxic.type,
            proxy,
            seconds,
            toxic=toxic.name,
            stream=toxic.stream,
            toxicity=toxic.toxicity,
            attributes=dict(toxic.attributes),
        )
        proxy.chains[toxic.stream].append(toxic)
        proxy.toxics_changed()
        return toxic

    def update_toxic(self, name: str, toxic_name: str, body: Any, *, ttl: Any = None) -> Toxic:
        proxy = self.get(name)
        toxic = proxy.find(toxic_name)
        if toxic is None:
            raise ApiError(404, "toxic not found")
        if not isinstance(body, dict):
            raise ApiError(400, "bad request body: expected a JSON object")
        attrs = check_attributes(toxic.type, body.get("attributes"), base=toxic.attributes)
        check_time_bounds(toxic.type, attrs, self.max_ttl)
        toxicity = check_toxicity(body.get("toxicity"), default=toxic.toxicity)
        ttl = ttl if ttl is not None else body.get("pulsekit_ttl")
        record = toxic.extra.get("record")
        if ttl is not None and record is not None and not self.ignore_ttl:
            seconds = self.ttl_of(ttl)
            old_timer = self._timers.pop(record["id"], None)
            if old_timer is not None:
                old_timer.cancel()
            record["expires_at"] = time.time() + seconds
            loop = asyncio.get_running_loop()
            self._timers[record["id"]] = loop.call_later(seconds, self._expire, record)
        toxic.attributes, toxic.toxicity = attrs, toxicity
        toxic.version += 1
        if record is not None:
            record["attributes"], record["toxicity"] = dict(attrs), toxicity
        proxy.toxics_changed()
        return toxic

    def _drop_toxic(self, proxy: Proxy, toxic: Toxic, by: str) -> None:
        proxy.chains[toxic.stream] = [t for t in proxy.chains[toxic.stream] if t is not toxic]
        self._close(toxic.extra.get("record"), by)
        proxy.toxics_changed()

    def remove_toxic(self, name: str, toxic_name: str) -> None:
        proxy = self.get(name)
        toxic = proxy.find(toxic_name)
        if toxic is None:
            raise ApiError(404, "toxic not found")
        self._drop_toxic(proxy, toxic, "api")

    # -- reset / halt -------------------------------------------------------------------
    async def reset(self, *, by: str = "reset") -> None:
        for proxy in self.proxies.values():
            for toxic in proxy.toxics():
                self._drop_toxic(proxy, toxic, by)
            if not proxy.enabled:
                await self._enable(proxy)
            self._close(proxy.down_record, by)
            proxy.down_record = None

    async def halt(self) -> None:
        self.halted = True
        await self.reset(by="halt")

    def release(self) -> None:
        self.halted = False

    def active(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.history if r["reverted_at"] is None]

    def shutdown(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        for proxy in self.proxies.values():
            proxy.stop()


def _same_listen(a: str, b: str) -> bool:
    if a == b:
        return True
    try:
        ha, pa = split_hostport(a, field="listen", any_port=True)
        hb, pb = split_hostport(b, field="listen", any_port=True)
    except ApiError:
        return False
    same_host = ha == hb or {ha, hb} <= {"127.0.0.1", "localhost"}
    return same_host and (pa == pb or pb == 0)
