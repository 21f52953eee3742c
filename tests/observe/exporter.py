"""A tiny metrics exporter for tests: fakes shop-like traffic at a steady pace and serves /metrics.

Run: python exporter.py [--rps 40] [--error-every 10] [--latency 0.05] [--db]
Prints the port on the first stdout line, then serves until killed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("PROMETHEUS_DISABLE_CREATED_SERIES", "True")

from prometheus_client import Counter, Gauge, Histogram, start_http_server

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rps", type=float, default=40.0)
    parser.add_argument(
        "--error-every", type=int, default=10, help="one 500 every N requests (0: none)"
    )
    parser.add_argument("--latency", type=float, default=0.04, help="seconds observed per request")
    parser.add_argument("--db", action="store_true", help="also expose shop_db_pool_* gauges")
    args = parser.parse_args()
    requests = Counter("shop_http_requests", "requests", ["route", "method", "status"])
    duration = Histogram(
        "shop_http_request_duration_seconds", "latency", ["route", "method"], buckets=BUCKETS
    )
    in_flight = Gauge("shop_http_requests_in_flight", "in flight")
    if args.db:
        Gauge("shop_db_pool_size", "pool size").set(10)
        Gauge("shop_db_pool_in_use", "pool in use").set(4)
    server, _thread = start_http_server(0, addr="127.0.0.1")
    print(server.server_port, flush=True)
    in_flight.set(2)
    n = 0
    period = 1.0 / args.rps
    next_at = time.monotonic()
    while True:
        n += 1
        error = args.error_every > 0 and n % args.error_every == 0
        requests.labels("/api/products/{id}", "GET", "500" if error else "200").inc()
        duration.labels("/api/products/{id}", "GET").observe(args.latency)
        next_at += period
        time.sleep(max(0.0, next_at - time.monotonic()))


if __name__ == "__main__":
    sys.exit(main())
