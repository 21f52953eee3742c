"""Sandbox fixtures: the tests that depend on the database tier run on both tiers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pulsekit.sandbox import Sandbox
from tests.conftest import missing


def require_postgres() -> None:
    """Skip (fail under PULSEKIT_REQUIRE_ALL=1) when the PostgreSQL tier cannot run here."""
    from pulsekit.errors import PostgresNotFoundError
    from pulsekit.sandbox import _pginstall

    try:
        _pginstall.require()
        _pginstall.run_as()
    except PostgresNotFoundError:
        missing("PostgreSQL 13+ (initdb, postgres, pg_basebackup)", _pginstall.INSTALL)


@pytest.fixture(scope="module", params=["postgres", "embedded"])
def db(request: pytest.FixtureRequest) -> str:
    """The database tier under test."""
    if request.param == "postgres":
        require_postgres()
    return str(request.param)


@pytest.fixture(scope="module")
def shop(db: str) -> Iterator[Sandbox]:
    """One healthy sandbox per tier for the module; tests that break it must repair it."""
    with Sandbox(db=db) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def pg_shop() -> Iterator[Sandbox]:
    """A PostgreSQL-tier sandbox shared by the module's tests (they repair what they break)."""
    require_postgres()
    with Sandbox(replicas=1, db_replicas=2, db="postgres") as sandbox:
        yield sandbox
