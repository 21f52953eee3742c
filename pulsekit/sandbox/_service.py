"""Entry point of every sandbox service process: ``python -m pulsekit.sandbox._service CONFIG_JSON``.

``CONFIG_JSON`` is a :class:`~pulsekit.sandbox._config.ServiceConfig` written by ``to_json()``.
"""

from __future__ import annotations

import sys

from pulsekit.errors import SandboxError
from pulsekit.sandbox import _http
from pulsekit.sandbox._config import ServiceConfig


def main(argv: list[str] | None = None) -> None:
    try:
        config = ServiceConfig.from_json((argv or sys.argv)[1])
    except SandboxError as exc:
        raise SystemExit(str(exc)) from None  # one line in the service's log
    if config.fd is None:
        raise SystemExit("service config has no fd: the controller passes the socket it bound")
    _http.die_with_parent(config.parent_pid)
    _http.allow_profilers()
    if config.role == "gateway":
        from pulsekit.sandbox._gateway import build
    elif config.role == "api":
        from pulsekit.sandbox._api import build
    elif config.role in ("db-primary", "db-replica"):
        from pulsekit.sandbox._db import build
    elif config.role == "pg-exporter":
        from pulsekit.sandbox._pgnode import build
    elif config.role == "payments":
        from pulsekit.sandbox._payments import build
    else:
        raise SystemExit(f"unknown role {config.role!r}")
    app, on_start = build(config)
    _http.serve(app, config.fd, on_start=on_start)


if __name__ == "__main__":
    main()
