"""The planted N+1 of dojo 07: off by default, same answer when on, 30 more queries a dashboard."""

from __future__ import annotations

import json
import sqlite3
import urllib.request

import pytest

from pulsekit.errors import ConfigError
from pulsekit.sandbox import Sandbox
from pulsekit.sandbox._db import READS
from pulsekit.sandbox._seed import seed
from tests.sandbox.conftest import require_postgres

pytestmark = pytest.mark.integration


def _get(url: str) -> dict:  # type: ignore[type-arg]
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())  # type: ignore[no-any-return]


def _daily_queries(shop: Sandbox) -> float:
    """dashboard_daily queries run so far, summed over every target and node: the embedded tier
    counts them in the database nodes, the PostgreSQL tier in the api replicas' pools."""
    total = 0.0
    for url in shop.metrics_targets.values():
        with urllib.request.urlopen(url, timeout=10) as resp:
            for line in resp.read().decode().splitlines():
                if (
                    line.startswith("shop_db_queries_total{")
                    and 'query="dashboard_daily"' in line
                    and 'status="ok"' in line
                ):
                    total += float(line.rsplit(" ", 1)[1])
    return total


def test_switch_is_off_by_default_and_checked() -> None:
    """Sandbox() has no N+1; a non-bool value is refused with the field's name."""
    assert Sandbox().n_plus_one is False
    with pytest.raises(ConfigError, match="n_plus_one"):
        Sandbox(n_plus_one="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("db", ["postgres", "embedded"])
def test_n_plus_one_answers_the_same_with_30_more_queries(db: str) -> None:
    """The dashboard's daily series equals the one GROUP BY query, at 30 queries instead of one."""
    if db == "postgres":
        require_postgres()
    conn = sqlite3.connect(":memory:")
    conn.row_factory = sqlite3.Row
    seed(conn, seed=42)
    expected = [
        dict(r) for r in conn.execute(READS["dashboard_daily"][0], {"vendor": 7, "since": 335})
    ]
    with Sandbox(replicas=1, db_replicas=1, n_plus_one=True, db=db) as shop:
        before = _daily_queries(shop)
        body = _get(f"{shop.url}/api/vendors/7/dashboard")
        after = _daily_queries(shop)
    assert body["daily"] == expected
    assert after - before == 30
