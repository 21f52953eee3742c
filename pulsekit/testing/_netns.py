"""Several "hosts" on one Linux machine: network namespaces on a private bridge, for tests.

``NetnsHosts(["staging", "load-a", "load-b"])`` makes one namespace per name, each with a veth
pair into one bridge, and a private ``10.213.X.0/24`` (X picked unused): the controller (this,
the root namespace) is ``.1`` on the bridge, the hosts ``.2``, ``.3``, ... Names carry a random
token, so parallel runs never collide. :meth:`NetnsHosts.close` (also on ``with`` exit, even
after a failure) stops every process started in the namespaces and removes the namespaces and
the bridge. Needs root (CI runs as root) and ``ip`` (iproute2); :func:`unavailable` says why not.

:func:`start_staging` turns a host into a "staging system": a sandbox inside the namespace
(it binds 127.0.0.1 there) behind a ``pulsekit faults serve`` proxy listening on the host's own
address, the Toxiproxy-in-front-of-the-gateway pattern. Traffic stays on the bridge.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

SUBNET_BASE = "10.213"
_RUN_TIMEOUT_S = 15.0


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=_RUN_TIMEOUT_S, check=check
    )


def unavailable() -> str | None:
    """Why namespaces cannot be made here (None when they can): tries one and removes it."""
    if not sys.platform.startswith("linux"):
        return "network namespaces need Linux"
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed; apt-get install iproute2"
    name = f"pulsekit-probe-{secrets.token_hex(3)}"
    try:
        made = _ip("netns", "add", name, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"`ip netns add` failed: {exc}"
    if made.returncode != 0:
        return f"`ip netns add` failed (needs root): {made.stderr.strip()}"
    _ip("netns", "del", name, check=False)
    return None


def _free_subnet() -> int:
    used = _ip("-4", "-o", "addr", "show").stdout + _ip("-4", "route", "show").stdout
    choices = [x for x in range(1, 255) if f"{SUBNET_BASE}.{x}." not in used]
    if not choices:
        raise RuntimeError(f"no free {SUBNET_BASE}.X.0/24 subnet on this machine")
    return choices[secrets.randbelow(len(choices))]


@dataclass
class Host:
    """One namespace: its name, its address on the bridge and the processes started in it."""

    name: str
    netns: str
    address: str
    procs: list[subprocess.Popen[Any]] = field(default_factory=list)

    def argv(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]

    def popen(self, argv: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        """Start ``argv`` inside this host (own process group; stopped by ``close``)."""
        kwargs.setdefault("stdin", subprocess.DEVNULL)
        proc = subprocess.Popen(self.argv(argv), start_new_session=True, **kwargs)
        self.procs.append(proc)
        return proc

    def run(self, argv: Sequence[str], timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside this host to the end (bounded by ``timeout``)."""
        return subprocess.run(
            self.argv(argv), capture_output=True, text=True, timeout=timeout, check=False
        )

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM every process started here, SIGKILL what is left after ``grace`` s."""
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for proc in self.procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


class NetnsHosts:
    """Namespaces named ``names`` on a private bridge; the root namespace is the controller."""

    def __init__(self, names: Sequence[str]) -> None:
        if not names or len(set(names)) != len(names) or len(names) > 200:
            raise ValueError(f"names={list(names)!r} must be 1..200 distinct host names")
        self.token = secrets.token_hex(3)
        self.bridge = f"pk{self.token}br"
        self.subnet = _free_subnet()
        self.controller = f"{SUBNET_BASE}.{self.subnet}.1"
        self.hosts: dict[str, Host] = {}
        self._names = list(names)
        self._made_bridge = False

    def __enter__(self) -> NetnsHosts:
        try:
            self.create()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getitem__(self, name: str) -> Host:
        return self.hosts[name]

    def create(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        self._made_bridge = True
        for _ in range(20):  # a parallel run may have picked the same subnet a moment ago
            _ip("addr", "add", f"{self.controller}/24", "dev", self.bridge)
            mine = f"{SUBNET_BASE}.{self.subnet}."
            if _ip("-4", "-o", "addr", "show").stdout.count(mine) == 1:
                break
            _ip("addr", "del", f"{self.controller}/24", "dev", self.bridge)
            self.subnet = _free_subnet()
            self.controller = f"{SUBNET_BASE}.{self.subnet}.1"
        else:
            raise RuntimeError(f"could not get a {SUBNET_BASE}.X.0/24 subnet of our own")
        prefix = f"{SUBNET_BASE}.{self.subnet}"
        _ip("link", "set", self.bridge, "up")
        for i, name in enumerate(self._names, start=2):
            netns = f"pulsekit-{self.token}-{name}"
            veth = f"pk{self.token}v{i}"
            _ip("netns", "add", netns)
            self.hosts[name] = Host(name, netns, f"{prefix}.{i}")
            _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns)
            _ip("link", "set", veth, "master", self.bridge, "up")
            _ip("-n", netns, "addr", "add", f"{prefix}.{i}/24", "dev", "eth0")
            _ip("-n", netns, "link", "set", "eth0", "up")
            _ip("-n", netns, "link", "set", "lo", "up")
        ipaddress.ip_address(self.controller)  # sanity: a valid IPv4 address

    def close(self) -> None:
        """Stop every process started in the hosts, remove the namespaces and the bridge."""
        for host in self.hosts.values():
            host.stop()
            pids = _ip("netns", "pids", host.netns, check=False).stdout.split()
            for pid in pids:  # anything still inside our own namespace was started by us
                with contextlib.suppress(ProcessLookupError, PermissionError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            _ip("netns", "del", host.netns, check=False)  # takes its veth pair along
        self.hosts.clear()
        if self._made_bridge:
            _ip("link", "del", self.bridge, check=False)
            self._made_bridge = False


@dataclass
class Staging:
    """A sandbox in a host's namespace, reachable at ``url`` through the fault proxy."""

    host: Host
    url: str  # the gateway through the proxy, on the host's own address
    toxiproxy: str  # the proxy's Toxiproxy API on the host's own address
    proxy_name: str


def _read_line(stream: IO[str], proc: subprocess.Popen[Any], timeout: float, what: str) -> str:
    """One stdout line of ``proc`` within ``timeout`` s (a clear error if it exits or stalls)."""
    import selectors

    sel = selectors.DefaultSelector()
    sel.register(stream, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if sel.select(timeout=0.2):
                line = stream.readline()
                if line.strip():
                    return line
                if proc.poll() is not None:
                    break
        raise RuntimeError(f"{what} did not start within {timeout:g} s (exit {proc.poll()})")
    finally:
        sel.close()


def _drain(stream: IO[str]) -> None:
    """Keep reading a child's pipe in the background so it never blocks on a full pipe."""
    import threading

    def read() -> None:
        with contextlib.suppress(OSError, ValueError):
            for _ in stream:
                pass

    threading.Thread(target=read, daemon=True).start()


def start_staging(host: Host, *, port: int = 8080, api_port: int = 8474) -> Staging:
    """Start a small sandbox in ``host`` and a fault proxy in front of its gateway.

    Inside its own namespace the host has its own ports, so the well-known ones are free.
    """
    name = f"staging-{host.netns}"
    sandbox = host.popen(
        [
            sys.executable,
            "-m",
            "pulsekit",
            "sandbox",
            "up",
            "--replicas",
            "1",
            "--db-replicas",
            "0",
            "--db",
            "embedded",
            "--json",
            "--name",
            name,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert sandbox.stdout is not None
    state = json.loads(_read_line(sandbox.stdout, sandbox, 120, "the staging sandbox"))
    _drain(sandbox.stdout)
    gateway = str(state["url"]).split("//", 1)[-1].rstrip("/")
    folder = Path(tempfile.mkdtemp(prefix="pulsekit-staging-"))
    config = folder / "proxies.json"
    listen = f"{host.address}:{port}"
    config.write_text(json.dumps([{"name": "gateway", "listen": listen, "upstream": gateway}]))
    proxy = host.popen(
        [
            sys.executable,
            "-m",
            "pulsekit",
            "faults",
            "serve",
            "--host",
            host.address,
            "--port",
            str(api_port),
            "--allow",
            host.address,
            "--config",
            str(config),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proxy.stderr is not None
    _read_line(proxy.stderr, proxy, 60, "the staging fault proxy")
    _drain(proxy.stderr)
    shutil.rmtree(folder, ignore_errors=True)
    return Staging(host, f"http://{listen}", f"http://{host.address}:{api_port}", "gateway")
