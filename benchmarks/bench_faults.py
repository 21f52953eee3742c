"""Benchmark the pulsekit fault proxy against a direct connection, in the same run (issue 3 §5).

Processes: a minimal uvloop HTTP/1.1 upstream answering 1 KB, `pulsekit faults serve` (the proxy),
and this script as a keep-alive load client (uvloop). Measures: added latency at p50 (1 connection),
throughput ratio (50 connections), accuracy of a 100 ms latency toxic, 1,000 concurrent connections,
and file-descriptor / memory growth of the proxy over a soak with connection churn.

    .venv/bin/python benchmarks/bench_faults.py [--seconds 5] [--runs 3] [--soak 60]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from typing import Any

import psutil

BODY = b"x" * 1024
RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 1024\r\n\r\n" + BODY
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"


# -- upstream (child process) -------------------------------------------------------------
class _Upstream(asyncio.Protocol):
    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.buf = b""

    def data_received(self, data: bytes) -> None:
        self.buf += data
        count = self.buf.count(b"\r\n\r\n")
        if count:
            self.buf = self.buf[self.buf.rfind(b"\r\n\r\n") + 4 :]
            self.transport.write(RESPONSE * count)


def serve_upstream(port: int) -> None:
    import uvloop

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Upstream, "127.0.0.1", port, backlog=4096)
        print("ready", flush=True)
        await server.serve_forever()

    uvloop.run(main())


# -- floor: the least a Python proxy can do (child process) --------------------------------
class _Forward(asyncio.Protocol):
    """One side of a bare uvloop forwarder: write what arrives to the other side, nothing else."""

    def __init__(self, peer: Any = None) -> None:
        self.peer = peer
        self.early: list[bytes] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if self.peer is None:  # the client side: connect upstream
            asyncio.get_running_loop().create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        up, _ = await loop.create_connection(lambda: _Forward(self.transport), "127.0.0.1", _UP[0])
        self.peer = up
        for data in self.early:
            up.write(data)

    def data_received(self, data: bytes) -> None:
        if self.peer is None:
            self.early.append(data)
        else:
            self.peer.write(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.peer is not None:
            self.peer.close()


_UP = [0]


def serve_forwarder(port: int, upstream: int) -> None:
    """A 30-line forwarder with no API, no toxics and no bookkeeping: the floor for a Python proxy."""
    import uvloop

    _UP[0] = upstream

    async def main() -> None:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(_Forward, "127.0.0.1", port, backlog=4096)
        print("ready", flush=True)
        await server.serve_forever()

    uvloop.run(main())


# -- client -------------------------------------------------------------------------------
class _Client(asyncio.Protocol):
    def __init__(self) -> None:
        self.waiter: asyncio.Future[None] | None = None
        self.got = 0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.got += len(data)
        if self.got >= len(RESPONSE) and self.waiter is not None and not self.waiter.done():
            self.got -= len(RESPONSE)
            self.waiter.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError("closed"))

    async def request(self) -> float:
        loop = asyncio.get_running_loop()
        self.waiter = loop.create_future()
        start = time.perf_counter()
        self.transport.write(REQUEST)
        await self.waiter
        return time.perf_counter() - start


async def _open(port: int) -> _Client:
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(_Client, "127.0.0.1", port)
    return client


async def latencies(port: int, n: int) -> list[float]:
    client = await _open(port)
    for _ in range(50):
        await client.request()
    out = [await client.request() for _ in range(n)]
    client.transport.close()
    return out


async def throughput(port: int, conns: int, seconds: float) -> float:
    clients = [await _open(port) for _ in range(conns)]
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker(client: _Client) -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await client.request()
            done += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker(c) for c in clients))
    elapsed = time.perf_counter() - start
    for c in clients:
        c.transport.close()
    return done / elapsed


async def concurrent(port: int, conns: int) -> tuple[int, int]:
    """Open ``conns`` connections, keep them all open, one request on each; (ok, failed)."""
    results = await asyncio.gather(*(_open(port) for _ in range(conns)), return_exceptions=True)
    clients = [c for c in results if isinstance(c, _Client)]
    answers = await asyncio.gather(*(c.request() for c in clients), return_exceptions=True)
    ok = sum(1 for a in answers if isinstance(a, float))
    for c in clients:
        c.transport.close()
    return ok, conns - ok


async def churn(port: int, seconds: float) -> int:
    """New connection per request for ``seconds`` (10 at a time); returns requests done."""
    deadline = time.perf_counter() + seconds
    done = 0

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            client = await _open(port)
            await client.request()
            client.transport.close()
            done += 1

    await asyncio.gather(*(worker() for _ in range(10)))
    return done


def sink() -> tuple[int, threading.Event]:
    """A TCP sink on a thread of this process: reads to EOF, answers b"ok"; (port, stop event)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                while conn.recv(1 << 20):
                    pass
                conn.sendall(b"ok")
        listener.close()

    threading.Thread(target=serve, daemon=True).start()
    return int(listener.getsockname()[1]), stop


def bulk(port: int, megabytes: int, process: psutil.Process) -> tuple[float, float]:
    """Upload ``megabytes`` MB on one connection; (MB/s, proxy CPU ms per MB)."""
    chunk = b"x" * (1 << 20)
    cpu0, start = sum(process.cpu_times()[:2]), time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        for _ in range(megabytes):
            sock.sendall(chunk)
        sock.shutdown(socket.SHUT_WR)
        assert sock.recv(2) == b"ok"
    elapsed = time.perf_counter() - start
    return megabytes / elapsed, (sum(process.cpu_times()[:2]) - cpu0) / megabytes * 1000


# -- driver -------------------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _api(url: str, method: str, path: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method)
    with urllib.request.urlopen(request, timeout=10) as response:
        raw = response.read()
    return json.loads(raw) if raw.strip() else None


def _wait(url: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _api(url, "GET", "/version")
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"proxy at {url} did not start")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="per throughput run")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement (median)")
    parser.add_argument("--soak", type=float, default=60.0, help="soak seconds for fd/RSS growth")
    parser.add_argument("--serve-upstream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve-forwarder", type=int, nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream(args.serve_upstream)
        return
    if args.serve_forwarder:
        serve_forwarder(*args.serve_forwarder)
        return
    import uvloop

    up_port, api_port = _free_port(), _free_port()
    upstream = subprocess.Popen(
        [sys.executable, __file__, "--serve-upstream", str(up_port)], stdout=subprocess.PIPE
    )
    assert upstream.stdout is not None and upstream.stdout.readline().strip() == b"ready"
    fwd_port = _free_port()
    forwarder = subprocess.Popen(
        [sys.executable, __file__, "--serve-forwarder", str(fwd_port), str(up_port)],
        stdout=subprocess.PIPE,
    )
    assert forwarder.stdout is not None and forwarder.stdout.readline().strip() == b"ready"
    proxy = subprocess.Popen(
        [sys.executable, "-m", "pulsekit.cli", "faults", "serve", "--port", str(api_port)],
        stderr=subprocess.DEVNULL,
    )
    # the same proxy with the kernel pass-through off: the transport path, for comparison
    plain_api = _free_port()
    plain = subprocess.Popen(
        [sys.executable, "-m", "pulsekit.cli", "faults", "serve", "--port", str(plain_api)],
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PULSEKIT_FAULTS_SPLICE": "0"},
    )
    url = f"http://127.0.0.1:{api_port}"
    rows: list[tuple[str, str, str, str]] = []
    try:
        _wait(url)
        made = _api(url, "POST", "/proxies", {"name": "b", "upstream": f"127.0.0.1:{up_port}"})
        proxied = int(made["listen"].rsplit(":", 1)[1])
        plain_url = f"http://127.0.0.1:{plain_api}"
        _wait(plain_url)
        made = _api(
            plain_url, "POST", "/proxies", {"name": "b", "upstream": f"127.0.0.1:{up_port}"}
        )
        transport_port = int(made["listen"].rsplit(":", 1)[1])
        run = uvloop.run

        p50_direct = statistics.median(
            _pct(run(latencies(up_port, 2000)), 0.5) for _ in range(args.runs)
        )
        p50_proxy = statistics.median(
            _pct(run(latencies(proxied, 2000)), 0.5) for _ in range(args.runs)
        )
        for _ in range(args.runs):  # the same history for the transport-path proxy process
            run(latencies(transport_port, 2000))
        added = (p50_proxy - p50_direct) * 1000
        rows.append(
            (
                "added latency at p50, 1 conn, no toxic",
                f"{p50_direct * 1000:.3f} ms direct, {p50_proxy * 1000:.3f} ms proxied",
                f"+{added:.3f} ms",
                "< 1 ms: " + ("PASS" if added < 1 else "FAIL"),
            )
        )

        ratios, directs, proxieds, cpu_proxy, cpu_up = [], [], [], [], []
        floors: list[float] = []
        transports: list[float] = []
        process, up_process = psutil.Process(proxy.pid), psutil.Process(upstream.pid)
        for i in range(args.runs):
            d = run(throughput(up_port, 50, args.seconds))  # the anchor, first in every run
            # the three proxies in a rotating order: none is always the one measured last
            for which in ("pulsekit", "floor", "transport")[i % 3 :] + (
                "pulsekit",
                "floor",
                "transport",
            )[: i % 3]:
                if which == "floor":
                    floors.append(run(throughput(fwd_port, 50, args.seconds)) / d)
                elif which == "transport":
                    transports.append(run(throughput(transport_port, 50, args.seconds)) / d)
                else:
                    before = (sum(process.cpu_times()[:2]), sum(up_process.cpu_times()[:2]))
                    p = run(throughput(proxied, 50, args.seconds))
                    requests = p * args.seconds
                    cpu_proxy.append((sum(process.cpu_times()[:2]) - before[0]) / requests * 1e6)
                    cpu_up.append((sum(up_process.cpu_times()[:2]) - before[1]) / requests * 1e6)
                    proxieds.append(p)
                    ratios.append(p / d)
            directs.append(d)
        ratio = statistics.median(ratios)
        rows.append(
            (
                "throughput, 1 KB responses, 50 conns",
                f"{statistics.median(directs):,.0f} rps direct, "
                f"{statistics.median(proxieds):,.0f} rps proxied",
                f"{ratio:.0%} of direct",
                ">= 50%: " + ("PASS" if ratio >= 0.5 else "FAIL"),
            )
        )
        floor = statistics.median(floors)
        rows.append(
            (
                "floor: bare uvloop forwarder, 50 conns (same run)",
                "no API, no toxics, no byte counts (30 lines, in this script)",
                f"{floor:.0%} of direct; pulsekit {ratio / floor:.0%} of the floor",
                "(context)",
            )
        )
        rows.append(
            (
                "pulsekit, kernel pass-through off (same run)",
                "PULSEKIT_FAULTS_SPLICE=0: every chunk through the uvloop transports",
                f"{statistics.median(transports):.0%} of direct",
                "(context)",
            )
        )
        rows.append(
            (
                "CPU per proxied request (same run)",
                f"proxy {statistics.median(cpu_proxy):.0f} µs, "
                f"upstream {statistics.median(cpu_up):.0f} µs",
                f"{statistics.median(cpu_proxy) / statistics.median(cpu_up):.1f}x the upstream",
                "(context)",
            )
        )

        sink_port, sink_stop = sink()
        for base in (url, plain_url):
            _api(base, "POST", "/proxies", {"name": "sink", "upstream": f"127.0.0.1:{sink_port}"})
        ports = {
            "spliced": int(_api(url, "GET", "/proxies/sink")["listen"].rsplit(":", 1)[1]),
            "transport": int(_api(plain_url, "GET", "/proxies/sink")["listen"].rsplit(":", 1)[1]),
        }
        owners = {"spliced": process, "transport": psutil.Process(plain.pid)}
        rates: dict[str, list[tuple[float, float]]] = {"spliced": [], "transport": []}
        for i in range(args.runs):
            for name in ("spliced", "transport") if i % 2 == 0 else ("transport", "spliced"):
                rates[name].append(bulk(ports[name], 128, owners[name]))
        sink_stop.set()
        mbs = {k: statistics.median(r for r, _ in v) for k, v in rates.items()}
        cpus = {k: statistics.median(c for _, c in v) for k, v in rates.items()}
        rows.append(
            (
                "bulk upload 128 MB, 1 conn, no toxic (same run)",
                f"spliced {mbs['spliced']:,.0f} MB/s ({cpus['spliced']:.2f} ms CPU/MB), "
                f"transport path {mbs['transport']:,.0f} MB/s ({cpus['transport']:.2f} ms CPU/MB)",
                f"{mbs['spliced'] / mbs['transport']:.2f}x the bytes/s",
                "(context)",
            )
        )

        _api(url, "POST", "/proxies/b/toxics", {"type": "latency", "attributes": {"latency": 100}})
        with_toxic = run(latencies(proxied, 100))
        _api(url, "DELETE", "/proxies/b/toxics/latency_downstream")
        measured = (_pct(with_toxic, 0.5) - p50_proxy) * 1000
        rows.append(
            (
                "latency toxic 100 ms (added at p50, 100 reqs)",
                f"p50 {_pct(with_toxic, 0.5) * 1000:.1f} ms, p95 {_pct(with_toxic, 0.95) * 1000:.1f} ms",
                f"{measured:.1f} ms",
                "100 ± 5 ms: " + ("PASS" if abs(measured - 100) <= 5 else "FAIL"),
            )
        )

        ok, failed = run(concurrent(proxied, 1000))
        rows.append(
            (
                "1,000 concurrent connections held",
                f"{ok} answered, {failed} failed",
                f"{ok}/1000",
                "all: " + ("PASS" if ok == 1000 else "FAIL"),
            )
        )

        run(churn(proxied, 3))  # warm-up
        fds0, rss0 = process.num_fds(), process.memory_info().rss
        done = run(churn(proxied, args.soak))
        time.sleep(1)
        fds1, rss1 = process.num_fds(), process.memory_info().rss
        rows.append(
            (
                f"soak {args.soak:.0f} s, new connection per request",
                f"{done:,} requests; fds {fds0} -> {fds1}; RSS {rss0 / 2**20:.1f} -> "
                f"{rss1 / 2**20:.1f} MiB",
                f"fds {fds1 - fds0:+d}, RSS {(rss1 - rss0) / 2**20:+.1f} MiB",
                "no growth: " + ("PASS" if fds1 <= fds0 and rss1 - rss0 < 5 * 2**20 else "FAIL"),
            )
        )
    finally:
        proxy.terminate()
        plain.terminate()
        plain.wait(10)
        upstream.terminate()
        forwarder.terminate()
        forwarder.wait(10)
        proxy.wait(10)
        upstream.wait(10)
    print("| measure | figures | result | target |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
