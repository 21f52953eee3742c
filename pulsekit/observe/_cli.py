"""``pulsekit observe``: golden signals from /metrics URLs, the alert table, SLO rules export."""

from __future__ import annotations

import json
import math
import time
from typing import Any

import click


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


@click.group()
def observe() -> None:
    """Metrics, golden signals and SLOs."""


@observe.command()
@click.argument("targets", nargs=-1, required=True)
@click.option("--every", default="1s", show_default=True, help="Scrape interval.")
@click.option("--duration", default="5s", show_default=True, help="How long to scrape.")
@click.option("--window", default=None, help="Rate window (default: the whole duration).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def golden(
    targets: tuple[str, ...], every: str, duration: str, window: str | None, as_json: bool
) -> None:
    """Scrape TARGETS (URL or NAME=URL) for a while and print golden signals per target."""
    from pulsekit._util import parse_duration
    from pulsekit.observe.scrape import Scraper

    named: dict[str, str] = {}
    for item in targets:
        name, _, url = item.partition("=") if "=" in item.split("://")[0] else ("", "", item)
        named[name or url] = url
    seconds = parse_duration(duration, field="--duration")
    with Scraper(named, every=every) as scraper:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            time.sleep(0.1)
    signals = scraper.golden(window=window or max(seconds, 2 * scraper.interval))
    if as_json:
        rows = {
            str(t): {k: _clean(v) for k, v in row.items()}
            for t, row in signals.df.to_dict("index").items()
        }
        gaps = scraper.gaps.groupby("target").size().to_dict() if len(scraper.gaps) else {}
        click.echo(
            json.dumps({"window_s": signals.window, "targets": rows, "failed_scrapes": gaps})
        )
    else:
        click.echo(signals.summary())


def _slo(
    spec: str | None,
    objective: float | None,
    window: str,
    service: str,
    kind: str,
    threshold: str | None,
    compress: str | None,
) -> Any:
    from pulsekit.observe.slo import SLO, availability, latency, load_slo

    if spec:
        return load_slo(spec)
    if objective is None:
        raise click.UsageError("pass an SLO spec file or --objective (e.g. --objective 0.999)")
    sli = (
        latency(service, threshold=threshold or "300ms")
        if kind == "latency"
        else availability(service)
    )
    slo = SLO(objective=objective, window=window, sli=sli)
    return slo.compressed(compress) if compress else slo


_slo_options = [
    click.argument("spec", required=False, type=click.Path(dir_okay=False)),
    click.option("--objective", type=float, help="Objective ratio, e.g. 0.999."),
    click.option("--window", default="30d", show_default=True),
    click.option(
        "--service", default="gateway", show_default=True, help="Target / job name (regex)."
    ),
    click.option("--kind", type=click.Choice(["availability", "latency"]), default="availability"),
    click.option(
        "--threshold", default=None, help="Latency threshold (a bucket bound), e.g. 300ms."
    ),
    click.option("--compress", default=None, help="Scale the policy to a GameDay, e.g. 10m."),
]


def _with_slo_options(func: Any) -> Any:
    for option in reversed(_slo_options):
        func = option(func)
    return func


@observe.command()
@_with_slo_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def table(as_json: bool, **kwargs: Any) -> None:
    """Print the multiwindow multi-burn-rate alert table of an SLO."""
    slo = _slo(**kwargs)
    frame = slo.alert_table()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "slo": slo.name,
                    "objective": slo.objective,
                    "window_s": slo.period,
                    "rules": frame.to_dict("records"),
                }
            )
        )
    else:
        from pulsekit.observe.slo import format_duration

        click.echo(f"SLO {slo.name}: {slo.objective:.3%} over {format_duration(slo.period)}")
        click.echo(frame.to_string(index=False))


@observe.command()
@_with_slo_options
@click.option("--openslo", is_flag=True, help="Emit OpenSLO v1 YAML instead of Prometheus rules.")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="Write to a file.")
def rules(openslo: bool, out: str | None, **kwargs: Any) -> None:
    """Print Prometheus recording + alerting rules (or OpenSLO) for an SLO spec or options."""
    from pulsekit._util import atomic_write

    slo = _slo(**kwargs)
    text = slo.to_openslo() if openslo else slo.to_prometheus_rules()
    if out:
        atomic_write(out, text)
        click.echo(f"wrote {out}")
    else:
        click.echo(text, nl=False)
