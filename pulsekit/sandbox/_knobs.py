"""Live knobs of a running sandbox's api replicas: the build each runs and its cache TTL."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pulsekit.errors import ConfigError, SandboxError
from pulsekit.sandbox import _procs
from pulsekit.sandbox._config import VERSIONS  # the builds an api replica can run (see _api)


def check_version(proc: Any, version: str) -> None:
    """Record ``version`` as the build ``proc`` (an api replica) starts with next."""
    if proc.role != "api":
        raise ConfigError(
            f"deploy({proc.name!r}): only api replicas have builds; use api-1, api-2, ..."
        )
    if version not in VERSIONS:
        raise ConfigError(f"version={version!r} is unknown; use one of {', '.join(VERSIONS)}")
    proc.config = replace(proc.config, version=version)


def set_cache_ttl(procs: list[Any], seconds: float) -> dict[str, float]:
    """POST the TTL to each api replica's ``/_pulsekit/cache``; their previous TTLs by name."""
    from pulsekit.sandbox._cache import check_ttl

    ttl = check_ttl(seconds, "seconds")
    for proc in procs:
        if proc.role != "api":
            raise ConfigError(f"cache TTL of {proc.name!r}: only api replicas cache; use api")
    previous = {}
    for proc in procs:
        try:
            answer = _procs.http_json(
                f"http://127.0.0.1:{proc.port}/_pulsekit/cache", {"ttl_s": ttl}
            )
        except OSError as exc:
            raise SandboxError(
                f"{proc.name} did not take the new cache TTL ({exc}); is it running? restart "
                f"it and it starts with cache_ttl={proc.config.cache_ttl}"
            ) from exc
        previous[proc.name] = float(answer["previous_ttl_s"])
        proc.config = replace(proc.config, cache_ttl=ttl)
    return previous
