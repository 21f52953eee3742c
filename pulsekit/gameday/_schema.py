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
    ),
    "target": ("url",),
    "sandbox": ("replicas", "db_replicas", "db_pool", "seed"),
    "load": ("users", "spawn_rate", "rate", "mix", "think_time", "locustfile", "workers", "seed"),
    "slo": ("service", "objective", "latency", "route", "compress"),
    "price": ("instance_hour", "per_million_requests", "instances"),
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
}
SERVICE_ACTIONS = ("kill", "freeze", "restart", "thaw")
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
