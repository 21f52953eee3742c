"""Prometheus metrics of the fault proxy: Toxiproxy's byte counters plus pulsekit's fault gauges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pulsekit.faults._collection import ProxyCollection


def render_metrics(collection: ProxyCollection) -> bytes:
    """The Prometheus text exposition of ``collection`` and of this process."""
    from prometheus_client import CollectorRegistry, generate_latest
    from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
    from prometheus_client.process_collector import ProcessCollector

    class _Collector:
        def collect(self) -> Any:
            labels = ["direction", "listener", "proxy", "upstream"]
            received = CounterMetricFamily(
                "toxiproxy_proxy_received_bytes", "Bytes received by the proxy", labels=labels
            )
            sent = CounterMetricFamily(
                "toxiproxy_proxy_sent_bytes", "Bytes sent by the proxy", labels=labels
            )
            conns = GaugeMetricFamily(
                "pulsekit_faults_connections", "Open proxied connections", labels=["proxy"]
            )
            for proxy in collection.proxies.values():
                for direction in ("upstream", "downstream"):
                    key = [direction, proxy.listen, proxy.name, proxy.upstream]
                    received.add_metric(key, proxy.bytes_total("received", direction))
                    sent.add_metric(key, proxy.bytes_total("sent", direction))
                conns.add_metric([proxy.name], len(proxy.conns))
            active = GaugeMetricFamily(
                "pulsekit_faults_active", "Faults in force", labels=["proxy", "kind"]
            )
            counts: dict[tuple[str, str], int] = {}
            for record in collection.active():
                key2 = (record["proxy"], record["kind"])
                counts[key2] = counts.get(key2, 0) + 1
            for (proxy_name, kind), count in sorted(counts.items()):
                active.add_metric([proxy_name, kind], count)
            halted = GaugeMetricFamily("pulsekit_faults_halted", "1 while faults are halted")
            halted.add_metric([], 1 if collection.halted else 0)
            applied = CounterMetricFamily(
                "pulsekit_faults_applied", "Faults applied since start (bounded history)"
            )
            applied.add_metric([], len(collection.history))
            yield from (received, sent, conns, active, halted, applied)

    registry = CollectorRegistry()
    registry.register(_Collector())  # type: ignore[arg-type]
    ProcessCollector(registry=registry)
    return generate_latest(registry)
