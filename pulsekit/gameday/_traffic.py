"""What a window cost in traffic, from the scraped counters: database reads (per node), bytes
between services (per link) and the api cache's hits and misses."""

from __future__ import annotations

from typing import Any

DB_QUERIES = "shop_db_queries_total"  # embedded tier: in each node; PostgreSQL tier: in each api
LINK_BYTES = "toxiproxy_proxy_sent_bytes_total"  # the links process, per link and direction
CACHE_HITS = "shop_api_cache_hits_total"
CACHE_MISSES = "shop_api_cache_misses_total"
_METRICS = (DB_QUERIES, LINK_BYTES, CACHE_HITS, CACHE_MISSES)


def window_traffic(frame: Any, start: float, end: float) -> dict[str, Any]:
    """Counter increases over ``[start, end]`` (UNIX seconds), reset-aware (a restarted api
    replica's counters start again at 0), summed per node, link and in total. Read queries only
    (``_queries.READS``, answered ok): writes and failures are not billed reads."""
    import pandas as pd

    from pulsekit.observe._exposition import parse_labels
    from pulsekit.sandbox._queries import READS

    part = frame[frame["metric"].isin(_METRICS)]
    lo = pd.Timestamp(start, unit="s", tz="UTC")
    hi = pd.Timestamp(end, unit="s", tz="UTC")
    out: dict[str, Any] = {
        "db_reads": 0.0,
        "db_reads_by_node": {},
        "link_bytes": 0.0,
        "link_bytes_by_link": {},
        "cache_hits": 0.0,
        "cache_misses": 0.0,
    }
    for (target, metric, labels), series in part.groupby(["target", "metric", "labels"]):
        values = series.sort_values("time")
        before = values[values["time"] <= lo].tail(1)
        inside = values[(values["time"] > lo) & (values["time"] <= hi)]
        # a series first seen inside the window was born there (a labelled counter appears at its
        # first increment, a restarted replica's at 0): it counts from 0
        base = list(before["value"]) or [0.0]
        points = [*base, *inside["value"]]
        increase = sum(b - a if b >= a else b for a, b in zip(points, points[1:], strict=False))
        if not increase:
            continue
        tags = parse_labels(labels) if labels else {}
        if metric == DB_QUERIES:
            if tags.get("query") not in READS or tags.get("status") != "ok":
                continue
            node = tags.get("node") or str(target)
            out["db_reads"] += increase
            out["db_reads_by_node"][node] = out["db_reads_by_node"].get(node, 0.0) + increase
        elif metric == LINK_BYTES:
            link = tags.get("proxy", str(target))
            out["link_bytes"] += increase
            out["link_bytes_by_link"][link] = out["link_bytes_by_link"].get(link, 0.0) + increase
        elif metric == CACHE_HITS:
            out["cache_hits"] += increase
        else:
            out["cache_misses"] += increase
    looked_up = out["cache_hits"] + out["cache_misses"]
    out["cache_hit_ratio"] = round(out["cache_hits"] / looked_up, 4) if looked_up else None
    for key in ("db_reads_by_node", "link_bytes_by_link"):
        out[key] = {k: round(v) for k, v in sorted(out[key].items())}
    for key in ("db_reads", "link_bytes", "cache_hits", "cache_misses"):
        out[key] = round(out[key])
    return out
