"""Check an installation: Python, libraries, system parts (Chromium, Prometheus) and the sandbox.

>>> from pulsekit.setup_check import check_install
>>> print(check_install().summary())   # doctest: +SKIP
"""

from __future__ import annotations

import importlib.metadata
import json
import sys
from dataclasses import dataclass

import click

LIBRARIES = (
    "aiohttp",
    "locust",
    "chaostoolkit",
    "duckdb",
    "pandas",
    "matplotlib",
    "playwright",
    "prometheus-client",
    "hdrhistogram",
    "jinja2",
    "psycopg",
    "psycopg-pool",
)
INSTALL = "pip install -e '.[dev]'   (or: make test, which creates .venv)"


@dataclass(frozen=True)
class Check:
    """One thing the toolkit needs, whether it is there, and how to fix it if not."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class Report:
    """Every check of :func:`check_install`."""

    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)

    def summary(self) -> str:
        lines = [
            f"{'ok ' if c.ok else 'FIX'}  {c.name:<18} {c.detail if c.ok else c.fix}"
            for c in self.checks
        ]
        verdict = (
            "everything is ready" if self.ok else "fix the lines marked FIX, then run this again"
        )
        return "\n".join([*lines, verdict])


def check_install(*, sandbox: bool = True) -> Report:
    """Check Python, the libraries, Chromium, Prometheus, PostgreSQL and (optionally) the sandbox."""
    checks = [
        Check(
            "python",
            sys.version_info >= (3, 11),
            "3.11 or newer",
            "install Python 3.11 or newer and recreate the venv",
        ),
    ]
    for lib in LIBRARIES:
        try:
            importlib.metadata.version(lib)
            checks.append(Check(lib, True, "installed"))
        except importlib.metadata.PackageNotFoundError:
            checks.append(Check(lib, False, "missing", INSTALL))
    for name, env_var, found in (
        ("chromium", "PULSEKIT_CHROMIUM", _chromium()),
        ("prometheus", "PULSEKIT_PROMETHEUS", _prometheus()),
    ):
        checks.append(
            Check(
                name,
                found,
                "found",
                f"sudo apt-get install {name}   (or set {env_var}=/path/to/{name})",
            )
        )
    checks.append(_postgres())
    if sandbox:
        checks.append(_check_sandbox())
    return Report(tuple(checks))


def _postgres() -> Check:
    """Whether the sandbox's PostgreSQL tier can run here (the same lookup ``Sandbox`` uses)."""
    from pulsekit.errors import PostgresNotFoundError
    from pulsekit.sandbox import _pginstall

    try:
        install = _pginstall.require()
        user = _pginstall.run_as()
    except PostgresNotFoundError as exc:
        return Check("postgresql", False, "not usable", str(exc))
    del install, user  # found and runnable; `pulsekit sandbox up --db postgres` shows more
    return Check("postgresql", True, "found")


def _chromium() -> bool:
    """Whether vitals will find a browser (the same lookup it uses)."""
    from pulsekit.errors import BrowserNotFoundError
    from pulsekit.vitals._browser import find_chromium

    try:
        return bool(find_chromium())
    except BrowserNotFoundError:
        return False


def _prometheus() -> bool:
    """Whether observe will find Prometheus (the same lookup it uses)."""
    from pulsekit.errors import MissingDependencyError
    from pulsekit.observe.server import find_prometheus

    try:
        return bool(find_prometheus())
    except MissingDependencyError:
        return False


def _check_sandbox() -> Check:
    import urllib.request

    from pulsekit.errors import PulsekitError
    from pulsekit.sandbox import Sandbox

    try:
        with (
            Sandbox(replicas=1, db_replicas=1) as shop,
            urllib.request.urlopen(shop.url, timeout=10) as r,
        ):
            ok = r.status == 200
        return Check(
            "sandbox",
            ok,
            "starts and answers",
            "the gateway did not answer 200; run `pulsekit sandbox up` to see its logs",
        )
    except (PulsekitError, OSError) as exc:
        return Check("sandbox", False, "did not start", f"{exc}".splitlines()[0])


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@click.option("--no-sandbox", is_flag=True, help="Skip starting the sandbox.")
def doctor(as_json: bool, no_sandbox: bool) -> None:
    """Check the installation and say exactly what to fix."""
    report = check_install(sandbox=not no_sandbox)
    if as_json:
        click.echo(json.dumps({"ok": report.ok, "checks": [c.__dict__ for c in report.checks]}))
    else:
        click.echo(report.summary())
    if not report.ok:
        raise SystemExit(1)
