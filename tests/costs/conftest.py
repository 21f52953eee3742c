"""Fixtures for the cost tests: the bundled sample opened once per module, test-data paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
FULL_EXPORT = DATA / "focus-1.0" / "focus_sample.csv.gz"


@pytest.fixture(scope="module")
def sample() -> Iterator[object]:
    """The bundled marketplace sample, opened read-only."""
    import pulsekit.costs as pc

    with pc.open() as data:
        yield data


@pytest.fixture
def cache(tmp_path: Path) -> Path:
    """A private conversion cache for one test."""
    return tmp_path / "cache"
