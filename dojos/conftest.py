"""Human pace for the dojo notebooks: ``PULSEKIT_DOJO_PAUSE=20`` waits between cells (``make test-slow``).

nbval runs a notebook in seconds; a learner takes minutes between cells. Background work that ends too
early (traffic with a fixed duration, a load that stops) passes nbval and fails the learner. With the
variable set, every code cell of a notebook that starts live work (a sandbox, traffic, a scraper) waits
that many seconds before it runs, and nbval still compares its output: the lesson must hold at a reading
pace. Other notebooks wait a tenth of it. Unset (CI, ``make test``): no pause.

The solutions notebooks of the dojos in ``_SLOW_SOLUTIONS`` repeat every run of their dojo: they are
marked ``slow`` and run under ``make test-slow`` (pytest -m slow), not in ``make test``, to keep the
suite's time budget.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

_LIVE = ("Sandbox(", "Trickle(", "scrape(")
_SLOW_SOLUTIONS = ("07_profiling_capacity", "08_resilience_ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    slow = [
        i
        for i in items
        if Path(i.path).parent.name in _SLOW_SOLUTIONS
        and Path(i.path).name.endswith("_solutions.ipynb")
    ]
    for item in slow:
        item.add_marker(pytest.mark.slow)
    if slow and "slow" not in str(config.getoption("markexpr") or ""):
        config.hook.pytest_deselected(items=slow)
        items[:] = [i for i in items if i not in slow]


def _pause() -> float:
    try:
        return max(0.0, float(os.environ.get("PULSEKIT_DOJO_PAUSE", "0") or 0))
    except ValueError:
        raise pytest.UsageError(
            "PULSEKIT_DOJO_PAUSE must be a number of seconds, e.g. PULSEKIT_DOJO_PAUSE=20"
        ) from None


def _is_live(notebook: pytest.Collector) -> bool:
    cached = getattr(notebook, "_pulsekit_live", None)
    if cached is None:
        text = notebook.path.read_text(encoding="utf-8") if hasattr(notebook, "path") else ""
        cached = any(marker in text for marker in _LIVE)
        notebook._pulsekit_live = cached  # type: ignore[attr-defined]
    return bool(cached)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    pause = _pause()
    cell_num = getattr(item, "cell_num", None)
    if not pause or cell_num is None or cell_num == 0:
        return
    time.sleep(pause if _is_live(item.parent) else pause / 10)
