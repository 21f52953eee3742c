"""Fault injection: a Toxiproxy-compatible fault proxy, network/HTTP/process faults, TTLs and halt-all.

>>> from pulsekit import faults                                        # doctest: +SKIP
>>> with faults.latency("api->db-replica-1", ms=300, ttl="2m", proxy=shop.proxy_url):  # doctest: +SKIP
...     ...
"""

from __future__ import annotations

from pulsekit.faults._fault import Fault
from pulsekit.faults.client import Faults, connect
from pulsekit.faults.process import cpu_hog, freeze, kill, memory_hog, restart, thaw
from pulsekit.faults.proxy import FaultProxy
from pulsekit.faults.records import FaultLog, FaultRecord
from pulsekit.faults.shortcuts import (
    bandwidth,
    down,
    halt,
    http_errors,
    latency,
    packet_loss,
    release,
    reset_peer,
    timeout,
)

__all__ = [
    "Fault",
    "FaultLog",
    "FaultProxy",
    "FaultRecord",
    "Faults",
    "bandwidth",
    "connect",
    "cpu_hog",
    "down",
    "freeze",
    "halt",
    "http_errors",
    "kill",
    "latency",
    "memory_hog",
    "packet_loss",
    "release",
    "reset_peer",
    "restart",
    "thaw",
    "timeout",
]
