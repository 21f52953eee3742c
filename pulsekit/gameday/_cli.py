"""``pulsekit gameday run PATH [--param k=v]... [--out DIR] [--json FILE] [--screen]``: 0 held, 99
refuted or aborted, 1 error, 130 interrupted. ``pulsekit gameday screen RUN_DIR`` replays a run."""

from __future__ import annotations

import contextlib
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
@click.option(
    "--rehearsal",
    is_flag=True,
    help="Apply the spec's rehearsal: values (its short version) before any --param.",
)
@click.option("--no-progress", is_flag=True, help="No live progress line.")
@click.option(
    "--screen", is_flag=True, help="Serve the live page (with HALT) on 127.0.0.1 during the run."
)
@click.option(
    "--screen-port",
    type=click.IntRange(0, 65535),
    default=0,
    show_default=True,
    help="Port of the screen (0: any free port; the URL is printed).",
)
def run_command(
    path: Path,
    params: tuple[str, ...],
    out: Path | None,
    json_file: Path | None,
    rehearsal: bool,
    no_progress: bool,
    screen: bool,
    screen_port: int,
) -> None:
    """Run the GameDay at PATH (a spec file or a folder holding gameday.yaml)."""
    from pulsekit.gameday import run
    from pulsekit.gameday._params import parse_cli

    result = run(
        path,
        out=out,
        params=parse_cli(params),
        rehearsal=rehearsal,
        progress=not no_progress,
        screen=screen,
        screen_port=screen_port,
    )
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


@gameday.command("screen")
@click.argument("run_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--port", type=click.IntRange(0, 65535), default=0, show_default=True)
@click.option(
    "--serve-for",
    default="1h",
    show_default=True,
    help="Stop serving after this long (Ctrl-C stops earlier).",
)
def screen_command(run_dir: Path, port: int, serve_for: str) -> None:
    """Replay the finished run in RUN_DIR (its --out folder) on the GameDay screen."""
    import threading

    from pulsekit._util import parse_duration
    from pulsekit.gameday._screen import Screen
    from pulsekit.gameday._screen_state import replay_state

    seconds = parse_duration(serve_for, field="--serve-for")
    with Screen(replay_state(run_dir), port=port) as screen:
        click.echo(f"GameDay screen (replay of {run_dir}): {screen.url}", err=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait(seconds)
