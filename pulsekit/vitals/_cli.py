"""``pulsekit vitals URL``: measure a page's web vitals, check budgets, print a report or JSON."""

from __future__ import annotations

import json
import sys

import click

from pulsekit.vitals.profiles import PROFILES

BUDGET_FAILED_EXIT = 99  # as `pulsekit load run` (and k6) when a threshold fails


@click.command(name="vitals")
@click.argument("url")
@click.option(
    "--runs", default=5, show_default=True, type=click.IntRange(1, 50), help="Page loads."
)
@click.option(
    "--profile",
    default="mobile",
    show_default=True,
    type=click.Choice(sorted(PROFILES), case_sensitive=False),
    help="Throttling: Lighthouse mobile (Slow 4G, 4x CPU), desktop, or none.",
)
@click.option(
    "--budget",
    "budgets",
    multiple=True,
    metavar="'LCP<=2500'",
    help="Fail (exit 99) unless this holds; METRIC [p75|pNN|max] OP VALUE, repeatable.",
)
@click.option(
    "--click",
    "clicks",
    multiple=True,
    metavar="SELECTOR",
    help="Click this CSS selector after load (gives INP); repeatable.",
)
@click.option("--parallel", default=1, show_default=True, type=click.IntRange(1, 8))
@click.option("--timeout", default="30s", show_default=True, help="Navigation timeout.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document and nothing else.")
def vitals(
    url: str,
    runs: int,
    profile: str,
    budgets: tuple[str, ...],
    clicks: tuple[str, ...],
    parallel: int,
    timeout: str,
    as_json: bool,
) -> None:
    """Measure Core Web Vitals of URL in headless Chromium (p75 over --runs loads)."""
    from pulsekit.vitals.budgets import Budget, check_budgets
    from pulsekit.vitals.collector import collect
    from pulsekit.vitals.result import VitalsResult

    parsed = [Budget.parse(b) for b in budgets]  # fail on a typo before launching a browser

    def measure() -> VitalsResult:
        return collect(
            url,
            runs=runs,
            profile=profile,
            interactions=list(clicks),
            parallel=parallel,
            timeout=timeout,
        )

    if not as_json and sys.stderr.isatty():
        from rich.console import Console

        with Console(stderr=True).status(f"measuring {url}: {runs} load(s), {profile} profile"):
            result = measure()
    else:
        result = measure()
    report = check_budgets(result, parsed) if parsed else None
    if as_json:
        doc = result.to_dict()
        doc["budgets"] = (
            None
            if report is None
            else {
                "passed": report.passed,
                "checks": [
                    {"budget": str(o.budget), "actual": o.actual, "passed": o.passed}
                    for o in report.outcomes
                ],
            }
        )
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(result.summary())
        if report is not None:
            click.echo("budgets:")
            click.echo("\n".join("  " + line for line in report.summary().splitlines()))
    if report is not None and not report.passed:
        sys.exit(BUDGET_FAILED_EXIT)
