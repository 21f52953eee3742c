"""The keys a GameDay spec may hold, the actions a step may take, and a sandbox's target names."""

from __future__ import annotations

from typing import Any

from pulsekit._types import LinkName

KEYS: dict[str, tuple[str, ...]] = {
    "": (
        "title",
        "description",
        "target",
        "sandbox",
        "load",
        "duration",
        "windows",
        "hypothesis",
        "steps",
        "stop_when",
        "slo",
        "price",
        "counters",
        "knee",
        "rehearsal",
        "allow",
    ),
    "sandbox": ("replicas", "db_replicas", "db_pool", "seed", "cache_ttl"),
    "load": (
        "users",
        "spawn_rate",
        "rate",
        "stages",
        "mix",
        "think_time",
        "locustfile",
        "workers",
        "seed",
        "expect_workers",
        "master_bind",
        "worker_wait",
    ),
    "slo": ("service", "objective", "latency", "route", "compress", "sli", "page_within"),
    "counter": ("service", "metric", "route", "status"),
    "knee": ("baseline", "windows", "p95_factor", "max_error_rate", "min_headroom"),
    "price": (
        "instance_hour",
        "per_million_requests",
        "instances",
        "egress_per_gb",
        "db_reads_per_million",
        "source",
    ),
}

# action -> the extra keys (numbers) its step takes
ACTIONS: dict[str, tuple[str, ...]] = {
    "kill": (),
    "freeze": (),
    "restart": (),
    "thaw": (),
    "latency": ("ms", "jitter_ms"),
    "down": (),
    "http_errors": ("status", "rate"),
    "packet_loss": ("rate",),
    "bandwidth": ("kbps",),
    "timeout": ("ms",),
    "reset_peer": ("after_ms",),
    "deploy": ("version",),
    "cache_ttl": ("seconds",),
}
SERVICE_ACTIONS = ("kill", "freeze", "restart", "thaw")
# sandbox knobs on api replicas: a build (deploy api-2 version faulty) and the cache TTL (target
# "api": every replica); the ledger rolls each back to its value at the start
KNOB_ACTIONS = ("deploy", "cache_ttl")
STRING_PARAMS = ("version",)
LINK_ACTIONS = (
    "latency",
    "down",
    "http_errors",
    "packet_loss",
    "bandwidth",
    "timeout",
    "reset_peer",
)

# what a window's hypothesis or a stop condition can judge over a span of seconds
WINDOW_METRICS = (
    "http_req_duration",
    "http_req_service_time",
    "http_req_failed",
    "http_reqs",
    "rps",
)


def known_targets(box: Any) -> tuple[list[str], list[str]]:
    """(service names, link names) of a sandbox of that shape, without starting it."""
    apis = [f"api-{i}" for i in range(1, box.replicas + 1)]
    dbs = ["db-primary", *[f"db-replica-{i}" for i in range(1, box.db_replicas + 1)]]
    services = ["gateway", *apis, *dbs, "payments"]
    hops = [LinkName("gateway", a) for a in apis] + [LinkName("api", d) for d in [*dbs, "payments"]]
    links = [str(hop) for hop in hops]
    return services, links
