"""``pulsekit load run``: put load on a URL from the command line; exit 99 when a threshold fails."""

from __future__ import annotations

import json
import signal
import sys
from typing import Any

import click


@click.group()
def load() -> None:
    """Generate load with Locust (closed or open model) and check k6-style thresholds."""


@load.command("run")
@click.argument("url")
@click.option("--users", type=int, help="Closed model: concurrent Locust users.")
@click.option("--spawn-rate", type=float, help="Closed model: users started per second.")
@click.option("--rate", type=float, help="Open model: arrivals (requests) per second.")
@click.option("--duration", default="30s", show_default=True, help="Run time, e.g. 30s or 2m.")
@click.option("--workers", type=int, default=0, show_default=True, help="Locust worker processes.")
@click.option(
    "--threshold",
    "thresholds",
    multiple=True,
    help="k6 syntax, e.g. 'http_req_duration: p(95)<200' (repeatable; add ' abortOnFail').",
)
@click.option(
    "--mix",
    type=click.Choice(["shopper", "vendor"]),
    help="A sandbox task mix instead of the plain request (default for a sandbox: shopper).",
)
@click.option("--method", help="HTTP method of the plain request (default GET).")
@click.option(
    "--header",
    "headers",
    multiple=True,
    help="Request header 'Name: value' (repeatable).",
)
@click.option("--body", help="Request body of the plain request, e.g. '{\"q\": 1}'.")
@click.option("--locustfile", type=click.Path(dir_okay=False), help="Your own locustfile.")
@click.option("--shape", type=click.Choice(["constant", "ramp", "step", "spike", "soak"]))
@click.option("--allow", multiple=True, help="Allow a non-loopback host (repeatable).")
@click.option("--max-in-flight", type=int, help="Open model: in-flight limit (drops beyond).")
@click.option("--seed", type=int, help="Seed the task mix for repeatable runs.")
@click.option("--json", "json_file", help="Write the result as JSON to FILE ('-' for stdout).")
@click.option(
    "--expect-workers",
    help="Workers on other hosts to wait for: a count, or their names (a,b) to name the missing.",
)
@click.option("--master-bind", help="With --expect-workers: ADDRESS[:PORT] to listen on (5557).")
@click.option(
    "--worker-wait", default="60s", show_default=True, help="How long to wait for the workers."
)
@click.option(
    "--fail-on-worker-loss", is_flag=True, help="Stop the run when a worker is lost mid-run."
)
def run_command(
    url: str,
    users: int | None,
    spawn_rate: float | None,
    rate: float | None,
    duration: str,
    workers: int,
    thresholds: tuple[str, ...],
    mix: str | None,
    method: str | None,
    headers: tuple[str, ...],
    body: str | None,
    locustfile: str | None,
    shape: str | None,
    allow: tuple[str, ...],
    max_in_flight: int | None,
    seed: int | None,
    json_file: str | None,
    expect_workers: str | None,
    master_bind: str | None,
    worker_wait: str,
    fail_on_worker_loss: bool,
) -> None:
    """Load URL with --users N (closed) or --rate RPS (open) for --duration.

    URL gets a plain GET of exactly that URL, as with k6, hey, wrk and vegeta (--method, --header,
    --body to vary it). A pulsekit sandbox's URL (it answers GET /_pulsekit/sandbox) gets the
    shopper mix instead; --mix picks a mix anywhere, --locustfile your own user classes.

    Exit code 0 when every threshold held, 99 when one failed (as k6), 130 after Ctrl-C (the
    partial result is still printed and written).
    """
    from pulsekit._util import atomic_write
    from pulsekit.load.runner import run

    to_stdout = json_file == "-"
    terminated: list[int] = []

    def on_sigterm(signum: int, frame: Any) -> None:
        # SIGTERM (a CI timeout, `kill`) ends the run like Ctrl-C: the child stops, the partial
        # result is printed and written, the temp folder goes; the exit code says SIGTERM (143)
        if not terminated:
            terminated.append(signum)
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        result = run(
            url,
            users=users,
            spawn_rate=spawn_rate,
            rate=rate,
            duration=duration,
            workers=workers,
            thresholds=list(thresholds),
            mix=mix,
            method=method,
            headers=list(headers) if headers else None,
            body=body,
            locustfile=locustfile,
            shape=shape,
            allow=list(allow),
            max_in_flight=max_in_flight,
            seed=seed,
            progress="none" if to_stdout else "auto",
            expect_workers=_expect(expect_workers),
            master_bind=master_bind,
            worker_wait=worker_wait,
            fail_on_worker_loss=fail_on_worker_loss,
        )
    finally:
        signal.signal(signal.SIGTERM, previous)
    document = json.dumps(result.to_dict(), indent=2)
    if to_stdout:
        click.echo(document)
    else:
        click.echo(result.summary(), err=False)
        if json_file:
            atomic_write(json_file, document + "\n")
    if terminated:
        sys.exit(143)
    sys.exit(130 if result.status == "interrupted" else result.exit_code)


@load.command("worker")
@click.option("--master", required=True, help="The controller's HOST[:PORT] (port 5557).")
@click.option("--name", help="This worker's name in results (default: the host name).")
@click.option(
    "--locustfile",
    type=click.Path(exists=True, dir_okay=False),
    help="The run's locustfile (must be identical to the controller's copy).",
)
@click.option(
    "--wait", default="60s", show_default=True, help="How long to wait for the master to answer."
)
def worker_command(master: str, name: str | None, locustfile: str | None, wait: str) -> None:
    """Join a run on another host as a Locust worker; exit when that run ends.

    The controller runs `pulsekit load run URL ... --expect-workers N --master-bind ADDRESS`.
    This worker says hello with its pulsekit version and locustfile hash; a mismatch is refused
    before the run starts. It then sends its load and its HdrHistograms to the master.
    """
    from pulsekit._util import parse_duration
    from pulsekit.errors import ConfigError
    from pulsekit.load._remote import parse_master, worker_main

    parse_master(master)  # a bad address fails here, before locust is imported
    seconds = parse_duration(wait, field="--wait")
    if not 0 < seconds <= 3600:
        raise ConfigError(f"--wait {wait!r} must be more than 0 and at most 1h; try '60s'")
    code = worker_main(master, name, locustfile, seconds, log=lambda m: click.echo(m, err=True))
    sys.exit(code)


def _expect(text: str | None) -> int | list[str] | None:
    """``--expect-workers 2`` (a count) or ``--expect-workers lg-1,lg-2`` (their names)."""
    if text is None:
        return None
    text = text.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    return [part.strip() for part in text.split(",")]
