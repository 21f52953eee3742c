"""``pulsekit sandbox up|status|down``: run the demo platform from a terminal or a script."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import click

from pulsekit.sandbox import _state

_name = click.option("--name", default="default", show_default=True, help="Which sandbox.")


@click.group()
def sandbox() -> None:
    """Start, inspect and stop the local demo platform."""


@sandbox.command()
@click.option("--replicas", default=3, show_default=True, help="api replicas.")
@click.option("--db-replicas", default=2, show_default=True, help="Database read replicas.")
@click.option(
    "--db",
    type=click.Choice(["auto", "postgres", "embedded"]),
    default="auto",
    show_default=True,
    help="Database tier: real PostgreSQL (primary + streaming replicas), embedded SQLite, or auto.",
)
@click.option("--prometheus", is_flag=True, help="Also run Prometheus scraping every service.")
@click.option(
    "--cache-ttl",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds each api replica caches a catalog read (search, product); 0: no cache.",
)
@click.option("--detach", is_flag=True, help="Start, print, and return; stop later with `down`.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@_name
def up(
    replicas: int,
    db_replicas: int,
    db: str,
    prometheus: bool,
    cache_ttl: float,
    detach: bool,
    as_json: bool,
    name: str,
) -> None:
    """Start the sandbox; in the foreground Ctrl-C stops everything."""
    from pulsekit.sandbox import Sandbox

    shop = Sandbox(
        replicas=replicas,
        db_replicas=db_replicas,
        db=db,
        prometheus=prometheus,
        cache_ttl=cache_ttl,
        name=name,
        detached=detach,
    )
    shop.start()
    state = shop.state()
    if as_json:
        click.echo(json.dumps(state))
    else:
        _print_state(state)
    if detach:
        if not as_json:
            click.echo(f"detached; stop it with: pulsekit sandbox down --name {name}")
        return
    if not as_json:
        click.echo("running; press Ctrl-C to stop")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        shop.stop()
        if not as_json:
            click.echo("stopped")


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@_name
def status(as_json: bool, name: str) -> None:
    """Show a named sandbox's services; cleans up a stale state file."""
    state = _state.status(name)
    if as_json:
        click.echo(json.dumps(state))
    elif state["running"]:
        _print_state(state)
    elif state["stale_cleaned"]:
        click.echo(
            f"sandbox {name!r}: not running (its processes were gone; stale state cleaned up)"
        )
    else:
        click.echo(f"sandbox {name!r}: not running")


@sandbox.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
@_name
def down(as_json: bool, name: str) -> None:
    """Stop a (detached) sandbox and remove its state file."""
    result = _state.down(name)
    if as_json:
        click.echo(json.dumps(result))
    elif result["was_running"]:
        click.echo(f"sandbox {name!r}: stopped {result['stopped']} processes")
    else:
        click.echo(f"sandbox {name!r}: was not running")


def _print_state(state: dict[str, Any]) -> None:
    click.echo(f"shop:    {state['url']}")
    click.echo(f"faults:  {state['proxy_url']}")
    if state.get("prometheus_url"):
        click.echo(f"metrics: {state['prometheus_url']}")
    for svc_name, svc in state["services"].items():
        mark = "up" if svc.get("alive") else "DOWN"
        click.echo(f"  {svc_name:<14} {svc['role']:<11} pid {svc['pid']:<8} :{svc['port']}  {mark}")
