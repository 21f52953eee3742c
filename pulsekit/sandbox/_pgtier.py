"""Bring up the PostgreSQL tier of a sandbox: the primary, its streaming replicas, their exporters.

The nodes come from a cached, seeded template (built once per PostgreSQL version and seed), so a
sandbox starts by copying folders instead of running ``initdb`` and seeding 50,000 orders.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol

from pulsekit.sandbox._pgcluster import Cluster, leftovers


class Node(Protocol):
    """What this module needs of a sandbox process record."""

    name: str
    role: str
    port: int
    pid: int
    started: float | None
    popen: Any
    sock: socket.socket | None


def start(
    cluster: Cluster, nodes: Sequence[Node], *, seed: int, stream_ports: dict[str, int]
) -> None:
    """Create and start every node; returns once each accepts connections.

    Args:
        stream_ports: replica name -> the listen port of its ``db-primary->db-replica-M`` link.
    """
    primary = next(n for n in nodes if n.role == "db-primary")
    replicas = [n for n in nodes if n.role == "db-replica"]
    for node in nodes:  # the ports were reserved for the links; postgres binds them itself
        sock, node.sock = node.sock, None
        if sock is not None:
            sock.close()
    if (cluster.template(seed) / "data").is_dir():
        cluster.from_template([n.name for n in nodes], seed)
    else:
        cluster.build_template(primary.name, primary.port, seed)
        cluster.from_template([n.name for n in replicas], seed)
    _launch(cluster, primary)
    cluster.wait_ready(primary.name, primary.port, primary.popen)
    cluster.own_password(primary.port)
    for replica in replicas:
        cluster.make_standby(replica.name, stream_ports[replica.name])
        _launch(cluster, replica)
    if replicas:
        with ThreadPoolExecutor(max_workers=len(replicas)) as pool:
            list(pool.map(lambda r: cluster.wait_ready(r.name, r.port, r.popen), replicas))


def _launch(cluster: Cluster, node: Node) -> None:
    from pulsekit.sandbox import _procs

    node.popen = cluster.start(node.name, node.port)
    node.pid = node.popen.pid
    node.started = _procs.create_time(node.pid)


def restart(cluster: Cluster, node: Node) -> None:
    """Start a stopped node again on its data folder (a replica catches up from the primary).

    Backends orphaned by a SIGKILL of the postmaster alone (``faults.kill``) still hold its shared
    memory, and PostgreSQL refuses to start beside them: they are killed first.
    """
    import psutil

    left = leftovers(cluster.data(node.name).resolve())
    for proc in left:
        proc.kill()
    psutil.wait_procs(left, timeout=10)
    _launch(cluster, node)
    cluster.wait_ready(node.name, node.port, node.popen)
