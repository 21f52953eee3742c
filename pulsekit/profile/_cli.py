"""``pulsekit profile PID|SERVICE``: sample a running process with py-spy and print its top frames."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command(name="profile")
@click.argument("target")
@click.option("--duration", default="10s", show_default=True, help="How long to sample.")
@click.option("--rate", default=100, show_default=True, type=click.IntRange(1, 1000), help="Hz.")
@click.option(
    "--out",
    default=None,
    metavar="FILE",
    help="Keep the profile: FILE.svg writes a flame graph, anything else speedscope JSON.",
)
@click.option("--name", default="default", show_default=True, help="Sandbox holding SERVICE.")
@click.option("--top", "top_n", default=10, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
def profile(
    target: str, duration: str, rate: int, out: str | None, name: str, top_n: int, as_json: bool
) -> None:
    """Sample TARGET (a pid, or a service of a running sandbox such as api-1) without restarting it."""
    from pulsekit.errors import ConfigError
    from pulsekit.profile.recorder import record
    from pulsekit.sandbox import _state

    services = None
    if not target.isdigit():
        state = _state.load(name)
        if state is None:
            raise ConfigError(
                f"{target!r} is not a pid and no sandbox named {name!r} is running; start one with "
                f"`pulsekit sandbox up --detach --name {name}` or pass a pid"
            )
        services = state["services"]
    svg = out is not None and Path(out).suffix.lower() == ".svg"
    result = record(
        target,
        sandbox=services,
        duration=duration,
        rate=rate,
        out=None if (out is None or svg) else out,
    )
    if svg:
        assert out is not None
        result.write_svg(out)
    if as_json:
        doc = result.to_dict()
        doc["svg"] = out if svg else None
        click.echo(json.dumps(doc))
        return
    click.echo(result.summary(top_n))
    if svg:
        click.echo(f"  svg flame graph: {out}")
