"""This dojo's solutions notebook repeats every run of the dojo: it runs under `make test-slow`
(pytest -m slow), not in `make test`, to keep the suite's time budget."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [i for i in items if Path(i.path).resolve().parent == HERE]
    solutions = [i for i in mine if Path(i.path).name.endswith("_solutions.ipynb")]
    for item in solutions:
        item.add_marker(pytest.mark.slow)
    if "slow" in str(config.getoption("markexpr") or ""):
        return
    if solutions:
        config.hook.pytest_deselected(items=solutions)
        items[:] = [i for i in items if i not in solutions]
