"""Entry point of every sandbox service process: ``python -m pulsekit.sandbox._service CONFIG_JSON``."""

from __future__ import annotations

import json
import sys

from pulsekit.sandbox import _http


def main(argv: list[str] | None = None) -> None:
    config = json.loads((argv or sys.argv)[1])
    _http.die_with_parent(config.get("parent_pid"))
    _http.allow_profilers()
    role = config["role"]
    if role == "gateway":
        from pulsekit.sandbox._gateway import build
    elif role == "api":
        from pulsekit.sandbox._api import build
    elif role in ("db-primary", "db-replica"):
        from pulsekit.sandbox._db import build
    elif role == "pg-exporter":
        from pulsekit.sandbox._pgnode import build
    elif role == "payments":
        from pulsekit.sandbox._payments import build
    else:
        raise SystemExit(f"unknown role {role!r}")
    app, on_start = build(config)
    _http.serve(app, config["fd"], on_start=on_start)


if __name__ == "__main__":
    main()
