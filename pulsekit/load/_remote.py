"""Workers on other hosts: the join handshake and loss watch (Locust imported only inside).

``pulsekit load worker --master HOST[:PORT]`` starts :func:`worker_main`. Before it becomes a
Locust worker it says hello over Locust's own ZeroMQ channel (a ``pk_hello`` message with its
name, address, pulsekit version and the SHA-256 of its locustfile); the master answers with the
run's configuration (``pk_config``) or a refusal (``pk_refused``). Then it runs exactly like a
local worker: one additive interval record of HdrHistograms a second (``pk_interval``), which
the master forwards to the parent, so remote and local histograms merge the same way.
"""

from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from pulsekit import __version__
from pulsekit.errors import ConfigError, LoadError
from pulsekit.load._config import ChildConfig, RemoteWorkers

DEFAULT_PORT = 5557  # Locust's own master port


def file_sha256(path: str | None) -> str | None:
    """SHA-256 of a locustfile's bytes (None without one)."""
    if not path:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def local_address(host: str, port: int) -> str:
    """The address this host uses to reach ``host`` (what the master will see), or "?"."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect((host, port))  # UDP connect sends nothing; it only picks a route
            return str(probe.getsockname()[0])
    except OSError:
        return "?"


def hello(name: str, locustfile: str | None, master: tuple[str, int]) -> dict[str, Any]:
    return {
        "name": name,
        "address": local_address(*master),
        "pulsekit": __version__,
        "locustfile_sha256": file_sha256(locustfile),
    }


def refusal(want: str | None, data: dict[str, Any]) -> str | None:
    """Why the master refuses a worker's hello (None: accepted); ``want``: the run's locustfile SHA."""
    who = f"worker {data.get('name')!r} ({data.get('address')})"
    if data.get("pulsekit") != __version__:
        return (
            f"{who} runs pulsekit {data.get('pulsekit')} but the controller runs {__version__}; "
            "install the same pulsekit version on every load host"
        )
    have = data.get("locustfile_sha256")
    if want != have:
        if want is None:
            return f"{who} was started with --locustfile but this run uses none; drop it"
        if have is None:
            return f"{who} has no locustfile; start it with --locustfile (the run's copy)"
        return (
            f"{who} has a different locustfile (sha256 {have[:12]} vs the controller's "
            f"{want[:12]}); copy the controller's locustfile to that host"
        )
    return None


class Joiner:
    """The master's side: answers hellos, waits for the workers, notices lost ones."""

    def __init__(
        self,
        runner: Any,
        cfg: ChildConfig,
        remote: RemoteWorkers,
        emit: Callable[[dict[str, Any]], None],
    ) -> None:
        from locust.rpc import Message

        self.runner, self.cfg, self.remote, self.emit = runner, cfg, remote, emit
        self._message = Message
        self.expected = cfg.workers
        self.hellos: dict[str, dict[str, Any]] = {}  # name -> hello data (+ index)
        self.client_ids: dict[str, str] = {}  # Locust client id -> worker name
        self.refused: str | None = None
        self.lost: set[str] = set()
        runner.register_message("pk_hello", self._on_hello)
        runner.register_message("pk_joined", self._on_joined)

    def _reply(self, node_id: str, kind: str, data: Any) -> None:
        self.runner.server.send_to_client(self._message(kind, data, node_id))

    def _on_hello(self, msg: Any, **_: Any) -> None:
        data = dict(msg.data or {})
        name = str(data.get("name"))
        why = refusal(self.cfg.locustfile_sha256, data)
        names = self.remote.names
        if why is None and names and name not in names:
            why = (
                f"worker {name!r} is not one of the expected workers ({', '.join(names)}); "
                "start it with --name set to one of them"
            )
        if why is None and name in self.hellos:
            why = f"two workers are named {name!r}; give each a different --name"
        if why is None and len(self.hellos) >= self.expected:  # refused; the run goes on
            why = f"worker {name!r} is one too many: this run expects {self.expected}"
            self._reply(msg.node_id, "pk_refused", {"message": why})
            return
        if why is not None:
            self._reply(msg.node_id, "pk_refused", {"message": why})
            self.refused = self.refused or why
            return
        data["index"] = len(self.hellos)
        self.hellos[name] = data
        worker_cfg = replace(self.cfg, log="", remote=None, worker_name=name)
        self._reply(msg.node_id, "pk_config", {"cfg": worker_cfg.to_dict(), "index": data["index"]})

    def _on_joined(self, msg: Any, **_: Any) -> None:
        self.client_ids[str(msg.data["client_id"])] = str(msg.data["name"])

    def ready_names(self) -> list[str]:
        """Workers that said hello and then became Locust workers of this master."""
        return [n for cid, n in self.client_ids.items() if cid in self.runner.clients]

    def ready(self) -> bool:
        return (
            len(self.ready_names()) >= self.expected and self.runner.worker_count >= self.expected
        )

    def wait(self, seconds: float) -> str | None:
        """Wait for every expected worker; an error message naming what is missing, or None."""
        import gevent

        deadline = time.time() + seconds
        while not self.ready():
            if self.refused:
                return f"a worker was refused: {self.refused}"
            if time.time() > deadline:
                return self.missing_message(seconds)
            gevent.sleep(0.1)
        self.emit({"type": "workers", "joined": self.joined()})
        return None

    def joined(self) -> list[dict[str, Any]]:
        return [
            {"name": n, "address": d["address"], "index": d["index"]}
            for n, d in sorted(self.hellos.items(), key=lambda kv: kv[1]["index"])
        ]

    def missing_message(self, seconds: float) -> str:
        bind = self.remote
        ready = self.ready_names()
        names = ", ".join(f"{n} ({self.hellos[n]['address']})" for n in ready) or "none"
        stuck = [n for n in self.hellos if n not in ready]
        if stuck:
            names += f"; said hello but never became ready: {', '.join(stuck)}"
        expected = self.remote.names
        missing = f"{self.expected - len(ready)} missing"
        if expected:
            missing += f" ({', '.join(n for n in expected if n not in ready)})"
        return (
            f"only {len(ready)} of {self.expected} expected workers joined within "
            f"{seconds:g} s (joined: {names}); {missing}: run "
            f"`pulsekit load worker --master {bind.host}:{bind.port}` on each load host, "
            "or lower expect_workers"
        )

    def check_lost(self, elapsed: float) -> None:
        """Report each worker that quit or missed its heartbeats (once)."""
        from locust.runners import STATE_MISSING

        for cid, name in self.client_ids.items():
            node = self.runner.clients.get(cid)
            if name not in self.lost and (node is None or node.state == STATE_MISSING):
                self.lost.add(name)
                address = self.hellos.get(name, {}).get("address", "?")
                self.emit(
                    {"type": "worker_lost", "name": name, "address": address, "at_s": elapsed}
                )


def worker_main(
    master: str, name: str | None, locustfile: str | None, wait_s: float, log: Any = None
) -> int:
    """Join the master at ``HOST[:PORT]``, run its plan as a Locust worker, exit when it ends."""
    import gevent
    import locust  # noqa: F401  (monkey-patches this process with gevent)
    from locust.rpc import Message, zmqrpc

    from pulsekit.load import _child

    host, port = parse_master(master)
    name = name or socket.gethostname()
    client_id = f"{name}_hello_{uuid.uuid4().hex[:8]}"
    client = zmqrpc.Client(host, port, client_id)
    try:
        client.send(Message("pk_hello", hello(name, locustfile, (host, port)), client_id))
        try:
            with gevent.Timeout(wait_s):
                reply = client.recv()
        except gevent.Timeout:
            raise LoadError(
                f"no answer from the master at {host}:{port} within {wait_s:g} s; start the "
                "controller's run (with --expect-workers/--master-bind) or check --master"
            ) from None
    finally:
        client.close(linger=0)
    if reply.type == "pk_refused":
        raise ConfigError(f"the master refused this worker: {reply.data['message']}")
    cfg = ChildConfig.from_dict(reply.data["cfg"])
    index = int(reply.data["index"])
    if locustfile:
        cfg = replace(cfg, locustfile=str(Path(locustfile).resolve()))
    cfg = replace(cfg, master_host=host)
    folder = Path(tempfile.mkdtemp(prefix="pulsekit-worker-"))
    config = folder / "config.json"
    cfg.write(config)
    if log is not None:
        log(f"joined the master at {host}:{port} as {name!r} (worker {index})")
    try:
        return _child.main([str(config), "worker", str(port), str(index)])
    finally:
        config.unlink(missing_ok=True)
        os.rmdir(folder)


def parse_master(text: Any, field: str = "--master") -> tuple[str, int]:
    """``HOST[:PORT]`` (IPv6 as ``[::1]:5557``) -> (host, port); a clear error otherwise."""
    if not isinstance(text, str):
        raise ConfigError(f"{field}={text!r} must be HOST or HOST:PORT, e.g. 10.0.0.5:5557")
    text = text.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest[1:] if rest.startswith(":") else rest
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    elif ":" in text:  # several colons without brackets: only a bare IPv6 address
        import ipaddress

        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            host = ""
    if not host or "/" in host or " " in host:
        raise ConfigError(f"{field} {text!r} must be HOST or HOST:PORT, e.g. 10.0.0.5:5557")
    try:
        port = int(port_text) if port_text else DEFAULT_PORT
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(f"{field} {text!r}: the port must be 1..65535, e.g. {host}:5557")
    return host, port
