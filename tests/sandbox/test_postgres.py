"""The PostgreSQL tier: real streaming replicas that die, hang, come back, lag, and leave nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import psutil
import pytest

from pulsekit import faults
from pulsekit.errors import ConfigError, PostgresNotFoundError, SandboxError, ServiceStartError
from pulsekit.sandbox import Sandbox, _pgcluster
from tests.sandbox.conftest import require_postgres
from tests.sandbox.helpers import eventually, get, metric, post

pytestmark = pytest.mark.integration


def _tree(pid: int) -> list[int]:
    return [pid, *(c.pid for c in psutil.Process(pid).children(recursive=True))]


def _gone(pids: list[int]) -> bool:
    return not any(psutil.pid_exists(p) and psutil.Process(p).status() != "zombie" for p in pids)


def _orders_on(shop: Sandbox, node: str) -> int:
    """Count orders on one node directly (not through a link), as an operator's psql would."""
    import psycopg

    dsn = shop._pg.dsn(shop.services[node].port)
    with psycopg.connect(dsn) as conn:
        return int(conn.execute("SELECT count(*) FROM orders").fetchone()[0])  # type: ignore[index]


def _checkout(shop: Sandbox, session: str) -> None:
    for attempt in range(10):  # payments declines 2% of charges
        post(shop.url + "/api/cart", {"session": f"{session}-{attempt}", "product_id": 7, "qty": 1})
        if post(shop.url + "/api/checkout", {"session": f"{session}-{attempt}"})[0] == 200:
            return
    raise AssertionError("ten checkouts declined in a row")


def test_replicas_stream_from_the_primary_as_an_unprivileged_user(pg_shop: Sandbox) -> None:
    """Each node is a postgres postmaster owned by a non-root user, its data in the sandbox's folder."""
    for name in ("db-primary", "db-replica-1", "db-replica-2"):
        proc = psutil.Process(pg_shop.services[name].pid)
        assert proc.name() == "postgres"
        assert proc.uids().real != 0
        data = pg_shop.run_dir / "db" / name
        assert data.resolve().stat().st_uid == proc.uids().real
    target = pg_shop.metrics_targets["db-primary"]
    eventually(lambda: metric(target, "shop_db_replicas_streaming") == 2.0)


def test_a_killed_replica_takes_every_backend_with_it_and_restarts_caught_up(
    pg_shop: Sandbox,
) -> None:
    """SIGKILL takes the postmaster and its backends; reads fail over; a restart replays the writes."""
    pids = _tree(pg_shop.services["db-replica-1"].pid)
    assert len(pids) > 1  # the postmaster and its backends
    pg_shop.kill("db-replica-1")
    eventually(lambda: _gone(pids), timeout=10)
    assert [get(pg_shop.url + "/api/vendors/5/dashboard")[0] for _ in range(10)] == [200] * 10
    _checkout(pg_shop, "while-replica-1-was-down")  # a write it missed
    pg_shop.restart("db-replica-1")
    primary = _orders_on(pg_shop, "db-primary")
    eventually(lambda: _orders_on(pg_shop, "db-replica-1") == primary, timeout=15)


def test_a_frozen_replica_is_avoided_and_thawed_back(pg_shop: Sandbox) -> None:
    """SIGSTOP freezes the postmaster and every backend; reads go elsewhere; thaw brings it back."""
    api = pg_shop.metrics_targets["api-1"]
    pg_shop.freeze("db-replica-2")
    pids = _tree(pg_shop.services["db-replica-2"].pid)
    assert all(psutil.Process(p).status() == psutil.STATUS_STOPPED for p in pids)
    statuses = [get(pg_shop.url + "/api/search?q=Tent")[0] for _ in range(8)]
    assert statuses == [200] * 8
    pg_shop.thaw("db-replica-2")
    assert all(psutil.Process(p).status() != psutil.STATUS_STOPPED for p in pids)
    before = metric(api, "shop_db_queries_total", node="db-replica-2", query="search", status="ok")

    def served_again() -> bool:
        get(pg_shop.url + "/api/search?q=Tent")
        now = metric(api, "shop_db_queries_total", node="db-replica-2", query="search", status="ok")
        return (now or 0.0) > (before or 0.0)

    eventually(served_again, timeout=15)


def test_replication_lag_rises_under_latency_on_the_replication_link(pg_shop: Sandbox) -> None:
    """A latency toxic on db-primary->db-replica-1 delays the WAL stream: that replica's lag rises."""
    lagging, steady = (
        pg_shop.metrics_targets["db-replica-1"],
        pg_shop.metrics_targets["db-replica-2"],
    )
    eventually(lambda: (metric(lagging, "shop_db_replication_lag_seconds") or 9.0) < 1.0, 15)
    with faults.latency("db-primary->db-replica-1", ms=2000, ttl="1m", proxy=pg_shop.proxy_url):
        eventually(lambda: (metric(lagging, "shop_db_replication_lag_seconds") or 0.0) > 1.5, 20)
        lag = metric(lagging, "shop_db_replication_lag_seconds") or 0.0
        assert (metric(steady, "shop_db_replication_lag_seconds") or 9.0) < lag  # only that link
    eventually(lambda: (metric(lagging, "shop_db_replication_lag_seconds") or 9.0) < 1.0, 20)


def test_nothing_is_left_and_a_dead_controllers_folder_is_cleaned(tmp_path: Path) -> None:
    """A controller killed by SIGKILL takes its postgres nodes down; the next sandbox removes its data."""
    require_postgres()
    script = textwrap.dedent(
        """
        import json, time
        from pulsekit.sandbox import Sandbox
        shop = Sandbox(replicas=1, db_replicas=1, db="postgres").start()
        pids = [p.pid for p in shop.services.values()]
        print(json.dumps({"run_dir": str(shop.run_dir), "pids": pids}), flush=True)
        time.sleep(120)
        """
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        line = child.stdout.readline()  # type: ignore[union-attr]
        info = json.loads(line)
        postgres = [p for p in info["pids"] if psutil.Process(p).name() == "postgres"]
        pids = [q for p in postgres for q in _tree(p)]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    eventually(lambda: _gone(pids), timeout=20)  # the death signal reached every postmaster
    stale = Path(info["run_dir"]) / "db"
    assert stale.exists()
    with Sandbox(replicas=1, db_replicas=0, db="postgres") as shop:
        assert not stale.exists()
        data = shop.run_dir / "db"
    assert not data.exists() and not (data.is_symlink())


def test_an_unknown_tier_is_refused() -> None:
    """db= accepts postgres, embedded or auto; anything else names the three."""
    with pytest.raises(ConfigError, match="db='mysql'.*db='postgres', db='embedded' or db='auto'"):
        Sandbox(db="mysql")


def _fake_postgres(folder: Path, *, version: str, initdb: str = "exit 0") -> Path:
    """A folder of scripts that answer like PostgreSQL's binaries (reachable by the server user)."""
    folder.mkdir()
    for name, body in (
        ("postgres", f'echo "postgres (PostgreSQL) {version}"'),
        ("initdb", initdb),
        ("pg_basebackup", "exit 1"),
    ):
        path = folder / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    folder.chmod(0o755)
    return folder


def test_missing_or_old_postgres_is_named_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No PostgreSQL, or one older than 13, raises with the install command; auto falls back."""
    monkeypatch.setenv("PULSEKIT_POSTGRES_BIN", str(tmp_path / "nowhere"))
    with pytest.raises(PostgresNotFoundError, match="apt-get install postgresql"):
        Sandbox(db="postgres")
    assert Sandbox(db="auto").db == "embedded"
    assert "apt-get install postgresql" in capsys.readouterr().err
    monkeypatch.setenv(
        "PULSEKIT_POSTGRES_BIN", str(_fake_postgres(tmp_path / "pg12", version="12.4"))
    )
    with pytest.raises(PostgresNotFoundError, match=r"12\.4 .* too old.*13 or newer"):
        Sandbox(db="postgres")


def test_a_failing_initdb_names_the_node_and_stops_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """initdb failing raises ServiceStartError naming db-primary with its log; nothing is left."""
    if os.geteuid() == 0:
        require_postgres()  # the fake initdb runs as the server user: it must exist
    reachable = Path(tempfile.mkdtemp(prefix="pulsekit-test-fakepg-"))  # tmp_path is 0700
    reachable.chmod(0o755)
    bindir = _fake_postgres(
        reachable / "pg99", version="99.0", initdb='echo "initdb: error: disk says no" >&2; exit 1'
    )
    monkeypatch.setenv("PULSEKIT_POSTGRES_BIN", str(bindir))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    shop = Sandbox(replicas=1, db_replicas=1, db="postgres")
    with pytest.raises(ServiceStartError, match=r"db-primary: initdb failed[\s\S]*disk says no"):
        shop.start()
    eventually(lambda: _gone([p for p in [s.pid for s in shop.services.values()] if p]), 10)
    assert not (shop.run_dir / "db").exists()
    shutil.rmtree(reachable)


def test_a_port_postgres_cannot_bind_names_the_node(monkeypatch: pytest.MonkeyPatch) -> None:
    """A primary whose port is taken fails with its own log tail; everything started is stopped."""
    require_postgres()
    taken: list[object] = []
    original = _pgcluster.Cluster.start

    def occupy_then_start(self: _pgcluster.Cluster, name: str, port: int) -> object:
        if name == "db-primary" and not taken:
            from pulsekit.sandbox import _procs

            taken.append(_procs.bind(port))  # someone else grabbed it meanwhile
        return original(self, name, port)

    monkeypatch.setattr(_pgcluster.Cluster, "start", occupy_then_start)
    shop = Sandbox(replicas=1, db_replicas=0, db="postgres")
    try:
        with pytest.raises(ServiceStartError, match=r"db-primary: postgres exited[\s\S]*bind"):
            shop.start()
    finally:
        for sock in taken:
            sock.close()  # type: ignore[attr-defined]
    eventually(lambda: _gone([s.pid for s in shop.services.values() if s.pid]), 10)


def test_an_unusable_folder_is_refused(tmp_path: Path) -> None:
    """A run_dir that cannot be created is named with the fix; nothing starts."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(SandboxError, match="run_dir .*a-file/shop.* cannot be used"):
        Sandbox(db="embedded", run_dir=blocker / "shop").start()
