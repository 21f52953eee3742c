"""``pulsekit costs``: generate the sample and report on a billing source."""

from __future__ import annotations

import json

import click


@click.group()
def costs() -> None:
    """FinOps cost queries on FOCUS / CUR 2.0 billing data (DuckDB)."""


@costs.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder.")
@click.option("--seed", default=42, show_default=True, type=int)
@click.option("--months", default=13, show_default=True, type=click.IntRange(1, 60))
def sample(out: str, seed: int, months: int) -> None:
    """Write the marketplace sample (FOCUS Parquet, business metrics, README) to OUT."""
    from pulsekit.costs.sample import generate

    files = generate(out, seed=seed, months=months)
    click.echo(f"wrote {files.rows:,} FOCUS rows to {files.focus}")
    click.echo(f"wrote business metrics to {files.metrics}")
    click.echo(f"the stories are in {files.readme}")


@costs.command()
@click.argument("source", required=False, type=click.Path(exists=True))
@click.option("--metrics", type=click.Path(exists=True), help="Business metrics (unit costs).")
@click.option("--cache-dir", type=click.Path(file_okay=False), help="Where converted files go.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document.")
def report(source: str | None, metrics: str | None, cache_dir: str | None, as_json: bool) -> None:
    """Summarise SOURCE (a FOCUS or CUR 2.0 file or folder; default: the bundled sample)."""
    from pulsekit import costs as costs_api
    from pulsekit.costs.report import format_report

    with costs_api.open(source, metrics=metrics, cache_dir=cache_dir) as data:
        result = data.report()
    if as_json:
        click.echo(json.dumps(result, indent=2, sort_keys=True))
    else:
        click.echo(format_report(result))
