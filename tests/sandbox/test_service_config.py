"""What a sandbox service is told at start: a ServiceConfig survives JSON, and bad input is named."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from pulsekit.errors import SandboxError
from pulsekit.sandbox._config import ServiceConfig
from pulsekit.sandbox._procs import service_argv

API = ServiceConfig(
    name="api-1",
    role="api",
    parent_pid=1234,
    fd=7,
    seed=7,
    db="postgres",
    db_pool=6,
    n_plus_one=True,
    cache_ttl=2.5,
    version="slow",
    links={"api->db-primary": "http://127.0.0.1:4001", "api->payments": "http://127.0.0.1:4002"},
)
EXPORTER = ServiceConfig(
    name="db-replica-1", role="pg-exporter", node_role="db-replica", pg_port=5433
)


@pytest.mark.parametrize("config", [API, EXPORTER, ServiceConfig("payments", "payments")])
def test_a_config_reads_back_as_written(config: ServiceConfig) -> None:
    assert ServiceConfig.from_json(config.to_json()) == config


def test_the_service_argv_carries_the_config_with_its_socket() -> None:
    argv = service_argv(replace(API, fd=11))
    assert argv[:2] == ["-m", "pulsekit.sandbox._service"]
    assert ServiceConfig.from_json(argv[2]) == replace(API, fd=11)


def test_a_whole_number_is_read_as_seconds() -> None:
    text = json.dumps({"name": "api-1", "role": "api", "cache_ttl": 3})
    ttl = ServiceConfig.from_json(text).cache_ttl
    assert ttl == 3.0 and isinstance(ttl, float)


def _edited(**changes: object) -> str:
    return json.dumps({**json.loads(API.to_json()), **changes})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_edited(colour="red"), r"unknown fields \['colour'\]"),
        (_edited(db_pool="4"), r"db_pool='4' must be int;"),
        (_edited(n_plus_one=1), r"n_plus_one=1 must be bool;"),
        (_edited(pg_port=True), r"pg_port=True must be int or null;"),
        (_edited(links={"api->payments": 4002}), r"links=.* must be an object of str -> str;"),
        (_edited(role="cashier"), r"role='cashier' is an unknown role; use one of gateway, api,"),
        (_edited(version="beta"), r"version='beta' is an unknown version; use one of good,"),
        (json.dumps({"role": "api"}), r"misses \['name'\]"),
        ("[]", r"must be a JSON object"),
    ],
)
def test_bad_input_names_the_field(text: str, message: str) -> None:
    with pytest.raises(SandboxError, match=message) as caught:
        ServiceConfig.from_json(text)
    assert "\n" not in str(caught.value)
