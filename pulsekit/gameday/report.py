"""The GameDay report (Markdown with chart PNGs beside it) and the postmortem draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pulsekit._util import atomic_write
from pulsekit.gameday.result import GameDayResult

REPORT_FILE = "report.md"
POSTMORTEM_FILE = "postmortem.md"


def write_report(result: GameDayResult) -> GameDayResult:
    """Write ``report.md``, its charts and ``postmortem.md`` into the run's folder."""
    from pulsekit.incidents import render_postmortem

    out = result.out_dir
    charts = _charts(result, out)
    path = atomic_write(out / REPORT_FILE, markdown(result, charts))
    draft = render_postmortem(
        result.journal, template="gameday", out=out / POSTMORTEM_FILE, force=True
    )
    return result.with_files(report=path, postmortem=draft.path, charts=tuple(charts.values()))


def _charts(result: GameDayResult, out: Path) -> dict[str, Path]:
    from pulsekit._plotting import pyplot

    plt = pyplot()
    charts: dict[str, Path] = {}
    if result.load is not None and len(result.load.timeline):
        ax = result.plot()
        figure: Any = ax.figure
        figure.savefig(out / "load.png", dpi=90)
        plt.close(figure)
        charts["load"] = out / "load.png"
    if result.slo_report is not None and len(result.slo_report.df):
        top = result.slo_report.plot(faults=result.fault_windows())
        figure = top.figure
        figure.savefig(out / "burn.png", dpi=90)
        plt.close(figure)
        charts["burn"] = out / "burn.png"
    return charts


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def markdown(result: GameDayResult, charts: dict[str, Path]) -> str:
    """The report's Markdown: verdict, hypothesis per window, steps, alerts, golden signals."""
    spec = result.spec
    verdict = "held" if result.hypothesis_held else "was **not** held"
    lines = [
        f"# GameDay report: {spec.title}",
        "",
        f"**Run:** {result.status} · **Hypothesis:** {verdict} · **Exit code:** {result.exit_code}",
        "",
    ]
    if result.abort_reason:
        lines += [f"**Why it stopped:** {result.abort_reason}", ""]
    if spec.description:
        lines += [spec.description.strip(), ""]
    load = spec.load
    model = f"{load.users} users" if load.users else f"{load.rate:g} requests/s"
    lines += [
        f"Load: {model} ({load.mix} mix) for {spec.duration_s:g} s on "
        f"{'the sandbox' if spec.uses_sandbox else spec.target}. "
        "Every figure below is measured over the window named beside it, from the load's "
        "HdrHistograms merged over exactly that window's seconds.",
        "",
        "## Hypothesis against result, per window",
        "",
        "| window | span | requests | rps | p50 ms | p95 ms | p99 ms | errors | verdict |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for w in result.windows.values():
        err = "-" if w.error_rate is None else f"{w.error_rate:.2%}"
        judged = "-" if not w.thresholds else ("held" if w.passed else "REFUTED")
        lines.append(
            f"| {w.name} | {w.start_s:g}–{w.end_s:g} s | {w.requests} | {w.rps:.0f} | "
            f"{_ms(w.p50_ms)} | {_ms(w.p95_ms)} | {_ms(w.p99_ms)} | {err} | {judged} |"
        )
    lines.append("")
    for w in result.windows.values():
        for t in w.thresholds:
            lines.append(f"- `{w.name}`: {t}")
    lines += ["", "## Steps", ""]
    if not result.steps:
        lines.append("No step ran.")
    for s in result.steps:
        back = (
            "still in force at the end"
            if s.reverted_t is None
            else (f"reverted at T+{s.reverted_t:.1f} s ({s.reverted_by})")
        )
        lines.append(f"- T+{s.applied_t:.1f} s (planned {s.at_s:g} s): **{s.name}**, {back}")
    lines += ["", "## Stop conditions and alerts", ""]
    lines += [f"- stop condition `{c.text}`" for c in spec.stop_when] or ["- no stop condition"]
    lines += [f"- **tripped** at T+{t['t']:g} s: `{t['condition']}`" for t in result.stop_trips]
    if spec.slo is not None:
        slo = spec.slo
        good = "not answered 5xx" if slo.sli == "availability" else f"under {slo.latency_ms:g} ms"
        lines.append(
            f"- SLO: {slo.objective:.2%} of {slo.service} requests"
            + (f" to `{slo.route}`" if slo.route else "")
            + f" {good} (30 days compressed to {slo.compress})"
        )
        if result.slo_from_t is not None:
            lines.append(f"- the SLO is judged from T+{result.slo_from_t:g} s (its first samples)")
        for a in result.alerts:
            lines.append(f"- alert {a.rule} ({a.severity}) {result.alert_when(a)}")
        if not result.alerts:
            lines.append("- no SLO alert fired")
    if result.incident is not None:
        lines += ["", "## Time to detect and time to mitigate", "", f"- {result.incident_line()}"]
        ratio = result.incident.get("in_rotation_ratio")
        if ratio is not None:
            lines.append(
                f"- the gateway kept {result.incident['target']} in rotation for {ratio:.0%} of "
                "the gateway's scrapes while the faulty build served (until the rollback began)"
            )
    lines += _costs(result)
    lines += _findings(result)
    if "load" in charts:
        lines += ["", "## Latency and errors", "", f"![latency and errors]({charts['load'].name})"]
    if "burn" in charts:
        lines += ["", "## SLO burn", "", f"![SLO burn]({charts['burn'].name})"]
    if result.golden:
        lines += ["", "## Golden signals per service", ""]
        for name, frame in result.golden.items():
            lines += [f"Over window `{name}`:", "", _golden_table(frame), ""]
    lines += [f"- note: {p}" for p in result.problems]
    lines += ["", f"Journal: `{result.journal.name}` · postmortem draft: `postmortem.md`", ""]
    return "\n".join(lines)


def _costs(result: GameDayResult) -> list[str]:
    price = result.spec.price
    if price is None:
        return ["- cost: no price model in the spec (add price: {instance_hour: ..., ...})"]
    if price.meters_traffic:
        return _traffic_costs(result)
    lines = [
        f"- cost (price model: {price.instances} instances at ${price.instance_hour:g}/hour, "
        f"${price.per_million_requests:g} per million requests):"
    ]
    for w in result.windows.values():
        if w.cost_usd is not None:
            lines.append(
                f"  - window {w.name} ({w.seconds} s, {w.requests} requests): ${w.cost_usd:.6f}"
            )
    return lines


def _traffic_costs(result: GameDayResult) -> list[str]:
    from pulsekit.gameday.result import traffic_line

    price = result.spec.price
    assert price is not None
    lines = [
        "",
        "## What each window cost",
        "",
        f"Price model: ${price.egress_per_gb:g} per GB between services, "
        f"${price.db_reads_per_million:g} per million database reads"
        + (
            f", ${price.instance_hour:g} per instance-hour x {price.instances}"
            if price.instance_hour
            else ""
        )
        + (f" (source: {price.source})" if price.source else "")
        + ". A month is the window's rate kept up for 30 days.",
        "",
        "| window | seconds | db reads | bytes between services | cache hit ratio | cost USD | per month USD |",
        "|---|---|---|---|---|---|---|",
    ]
    for w in result.windows.values():
        t = w.traffic or {}
        ratio = t.get("cache_hit_ratio")
        lines.append(
            f"| {w.name} | {w.seconds} | {t.get('db_reads', 0)} | {t.get('link_bytes', 0)} | "
            f"{'-' if ratio is None else f'{ratio:.0%}'} | "
            f"{'-' if w.cost_usd is None else f'{w.cost_usd:.6f}'} | "
            f"{'-' if w.cost_month_usd is None else f'{w.cost_month_usd:,.2f}'} |"
        )
    lines.append("")
    lines += [f"- {w.name}: {traffic_line(w)}" for w in result.windows.values()]
    return lines


def _findings(result: GameDayResult) -> list[str]:
    """The SLO page check, counters per window and the knee, when the spec asks for them."""
    lines: list[str] = []
    if result.page is not None:
        lines.append(f"- {result.page.line()}")
    if result.counters:
        names = [c.name for c in result.spec.counters]
        lines += ["", "## Counters per window", ""]
        lines += [f"- `{c.name}`: {c.describe()}" for c in result.spec.counters]
        lines += ["", "| window | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
        for window, counts in result.counters.items():
            cells = " | ".join(f"{counts.get(n, 0):g}" for n in names)
            lines.append(f"| {window} | {cells} |")
        lines.append("")
        lines.append("(increase of each scraped counter over the window, scraped every second)")
    if result.knee is not None:
        lines += ["", "## Knee and headroom", "", "```", *result.knee.lines(), "```"]
    return lines


def _golden_table(frame: Any) -> str:
    rows = ["| service | req/s | errors | p95 ms |", "|---|---|---|---|"]
    for service, row in frame.iterrows():
        rps = row.get("traffic_rps", float("nan"))
        err = row.get("error_ratio", float("nan"))
        p95 = row.get("p95_ms", float("nan"))
        rows.append(
            f"| {service} | {'-' if rps != rps else f'{rps:.0f}'} | "
            f"{'-' if err != err else f'{err:.2%}'} | {'-' if p95 != p95 else f'{p95:.0f}'} |"
        )
    return "\n".join(rows)
