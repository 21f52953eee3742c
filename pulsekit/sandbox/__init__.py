"""The local demo platform ("shop"): gateway, api replicas, database nodes and payments as real processes."""

from __future__ import annotations

from pulsekit.sandbox.sandbox import Link, Sandbox, Service

__all__ = ["Link", "Sandbox", "Service"]
