"""``pulsekit gameday run PATH [--param k=v]... [--out DIR] [--json FILE]``: 0 held, 99 refuted or
aborted, 1 error, 130 interrupted."""

from __future__ import annotations

import json
from pathlib import Path

import click

from pulsekit._util import atomic_write


@click.group()
def gameday() -> None:
    """Run GameDays from a spec (gamedays/NN_scenario/gameday.yaml)."""


@gameday.command("run")
@click.argument("path", type=click.Path(path_type=Path))
@click.option(
    "--param",
    "params",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a spec key, e.g. load.users=40 or duration=15s (repeatable).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the journal, report and postmortem (default runs/gameday/<time>-<title>).",
)
@click.option(
    "--json",
    "json_file",
    type=click.Path(path_type=Path),
    default=None,
    help="Write the machine-readable result here ('-' for stdout).",
)
@click.option("--no-progress", is_flag=True, help="No live progress line.")
def run_command(
    path: Path, params: tuple[str, ...], out: Path | None, json_file: Path | None, no_progress: bool
) -> None:
    """Run the GameDay at PATH (a spec file or a folder holding gameday.yaml)."""
    from pulsekit.gameday import run
    from pulsekit.gameday._params import parse_cli

    result = run(path, out=out, params=parse_cli(params), progress=not no_progress)
    payload = json.dumps(result.to_dict(), indent=2, default=str)
    if json_file is not None and str(json_file) == "-":
        click.echo(payload)
    else:
        if json_file is not None:
            atomic_write(json_file, payload + "\n")
        click.echo(result.summary())
        click.echo(f"report:     {result.report}")
        click.echo(f"postmortem: {result.postmortem}")
        click.echo(f"journal:    {result.journal}")
    raise SystemExit(result.exit_code)
