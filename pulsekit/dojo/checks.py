"""The exercise checks of dojos 01-06: right or wrong and why, never the answer itself.

Each check takes the learner's variable; ``None`` (or an empty value) means "not answered yet"
and gets a hint. Checks that need a measurement take the measured objects too, so they judge the
learner's answer against this run's data rather than against a number that could be copied.
"""

from __future__ import annotations

import math
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pulsekit._util import find_executable
from pulsekit.dojo._result import Check, missing, right, wrong
from pulsekit.errors import PulsekitError


def _blank(value: Any) -> bool:
    return value is None or (hasattr(value, "__len__") and len(value) == 0)


def _close(a: float, b: float, rel: float = 0.01) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


# --- dojo 01 ------------------------------------------------------------------------------------


def check_dashboard_slo(slo: Any, *, threshold_ms: float = 500.0) -> Check:
    """01 Ex1: an SLO on the dashboard route at the api replicas, with the scenario's bar."""
    ex = "exercise 1"
    if slo is None:
        return missing(
            ex, "build SLO(objective=..., sli=latency(service=..., route=..., threshold=...))"
        )
    sli = getattr(slo, "sli", None)
    if sli is None or sli.kind != "latency":
        return wrong(ex, "the question is about time: use a latency(...) SLI, not availability")
    if not sli.route or "dashboard" not in sli.route:
        return wrong(ex, "the SLI counts every route; restrict it with route= to the dashboard's")
    if sli.service in ("gateway", "") or "api" not in sli.service:
        return wrong(
            ex, "the route is served by the api replicas: service= is a regex of their names"
        )
    if sli.threshold is None or not _close(sli.threshold * 1000, threshold_ms):
        return wrong(ex, "the latency bar is not the scenario's dashboard bar (scenario.yaml)")
    if not _close(slo.objective, 0.99, rel=1e-6):
        return wrong(ex, "the objective is not the scenario's (99 % of requests)")
    return right(ex, "the dashboard SLO is measured where the dashboard is served")


def check_burn_rate(by_hand: Any, *, window_days: float = 28, budget_share: float = 0.02) -> Check:
    """01 Ex2: the fast page rule's burn-rate threshold for a ``window_days`` SLO, by hand."""
    ex = "exercise 2"
    if by_hand is None:
        return missing(ex, "burn rate = budget share x SLO window / long window, in the same unit")
    expected = budget_share * window_days * 24 / 1
    if not isinstance(by_hand, int | float):
        return wrong(ex, f"expected a number, got {type(by_hand).__name__}")
    if _close(by_hand, expected):
        return right(ex, "it matches alert_table(); a shorter SLO window lowers the threshold")
    if _close(by_hand, expected * 30 / window_days):
        return wrong(ex, "that is the 30-day threshold: use your company's window")
    if _close(by_hand, expected / 24) or _close(by_hand, expected * 60):
        return wrong(ex, "mixed units: put the SLO window and the long window both in hours")
    return wrong(ex, "too high" if by_hand > expected else "too low")


def check_rules_file(path: Any) -> Check:
    """01 Ex3: a Prometheus rules file that ``promtool check rules`` accepts."""
    ex = "exercise 3"
    if _blank(path):
        return missing(ex, "write slo.to_prometheus_rules() to a file and pass its path")
    file = Path(path)
    if not file.is_file():
        return wrong(ex, f"{file} does not exist; write the rules first")
    promtool = find_executable("promtool", env_var="PULSEKIT_PROMTOOL")
    if promtool is None:
        return wrong(ex, "promtool is not installed: apt-get install prometheus")
    done = subprocess.run(
        [promtool, "check", "rules", str(file)], capture_output=True, text=True, timeout=60
    )
    if done.returncode != 0:
        return wrong(ex, "promtool rejects the file: " + (done.stdout + done.stderr).strip()[:200])
    text = file.read_text(encoding="utf-8")
    if "slo:sli_error" not in text or "alert:" not in text:
        return wrong(ex, "promtool accepts it, but it has no SLO rules: use to_prometheus_rules()")
    return right(ex, "promtool accepts the recording and alerting rules")


# --- dojo 02 ------------------------------------------------------------------------------------

_MODEL_KEYS = ("launch", "staff")


def check_models(answers: Mapping[str, Any] | None) -> Check:
    """02 Ex1: the load model for each question (``"open"`` or ``"closed"``)."""
    ex = "exercise 1"
    if not answers or any(v is None for v in answers.values()):
        return missing(ex, "ask whether the next request waits for the previous answer")
    bad = [v for v in answers.values() if v not in ("open", "closed")]
    if bad:
        return wrong(ex, f"answer each with 'open' or 'closed', not {bad[0]!r}")
    wrong_ones = [
        q
        for q, model in answers.items()
        if model != ("open" if "arriving" in q or "launch" in q.lower() else "closed")
    ]
    if wrong_ones:
        return wrong(
            ex,
            f"{len(wrong_ones)} of {len(answers)} not yet: who decides when the next request starts?",
        )
    return right(ex, "arrivals that do not wait are open; people who wait for the page are closed")


def check_vendor_gate(gate: Iterable[str] | None) -> Check:
    """02 Ex2: a CI gate on the dashboard route (p95, abort early) and on the failure rate."""
    from pulsekit.load import parse_threshold

    ex = "exercise 2"
    if _blank(gate):
        return missing(
            ex, "one latency threshold for the dashboard route, one failure-rate threshold"
        )
    try:
        parsed = [parse_threshold(text) for text in gate]  # type: ignore[union-attr]
    except PulsekitError as exc:  # the parse error is the learner's feedback
        return wrong(ex, f"a threshold does not parse: {exc}")
    latency = [t for t in parsed if t.metric == "http_req_duration"]
    failed = [t for t in parsed if t.metric == "http_req_failed"]
    if not latency:
        return wrong(ex, "no http_req_duration threshold")
    t = latency[0]
    if not t.name or "dashboard" not in t.name:
        return wrong(ex, "the latency threshold covers every route: tag it with {name:...}")
    if t.percentile != 95 or not _close(t.value, 500):
        return wrong(ex, "the latency threshold is not the p95 under the scenario's dashboard bar")
    if not t.abort_on_fail:
        return wrong(ex, "the run does not stop early when the latency threshold fails")
    if not failed or not _close(failed[0].value, 0.01):
        return wrong(ex, "add the failure-rate threshold: under 1 % failed requests")
    return right(
        ex, "the gate fails the job on the route that matters and stops a doomed run early"
    )


def check_omission(sent_by_closed: Any, planned_by_open: Any, share_over_1s: Any) -> Check:
    """02 Ex3: coordinated omission on paper (100 req/s, 2 s stall, 20 s run, 10 users)."""
    ex = "exercise 3"
    if None in (sent_by_closed, planned_by_open, share_over_1s):
        return missing(ex, "a stalled user sends one request and waits; arrivals keep coming")
    notes = []
    if sent_by_closed != 10:
        notes.append("(a) closed: how many requests can 10 waiting users have in flight?")
    if planned_by_open != 200:
        notes.append("(a) open: arrivals per second x seconds of stall")
    share = float(share_over_1s)
    if not (_close(share, 0.05) or _close(share, 5.0)):
        notes.append("(b) which arrivals of the stall still wait more than 1 s when it ends?")
    if notes:
        return wrong(ex, "; ".join(notes))
    return right(ex, "the closed test takes 10 samples of the stall where users would see 200")


# --- dojo 03 ------------------------------------------------------------------------------------


def check_hypothesis(hypothesis: Mapping[str, Any] | None, *, slo_names: Iterable[str]) -> Check:
    """03 Ex1: a hypothesis written before the fault: an SLO, a burn limit and a prediction."""
    ex = "exercise 1"
    if not hypothesis:
        return missing(ex, "fill slo, max_burn and predict before you run anything")
    names = set(slo_names)
    if hypothesis.get("slo") not in names:
        return wrong(ex, f"slo must name one of the scenario's SLOs: {sorted(names)}")
    burn = hypothesis.get("max_burn")
    if not isinstance(burn, int | float) or burn <= 0:
        return wrong(ex, "max_burn is a positive number (1 spends the budget in exactly a window)")
    if hypothesis.get("predict") not in ("holds", "fails"):
        return wrong(ex, "predict is 'holds' or 'fails', written down before the run")
    return right(ex, "a falsifiable hypothesis: now run it and compare")


def check_halt(log: Any, status: Mapping[str, Any] | None) -> Check:
    """03 Ex2: a fault reverted by the halt lever, and the lever released afterwards."""
    ex = "exercise 2"
    records = list(log) if log is not None else []
    halted = [r for r in records if getattr(r, "reverted_by", None) == "halt"]
    if not halted:
        return missing(ex, "apply a fault without `with`, then pull shop_faults.halt()")
    if status is None or status.get("halted"):
        return wrong(ex, "the lever is still pulled: new faults are refused until release()")
    if status.get("active"):
        return wrong(ex, "a fault is still active on the proxy")
    return right(ex, "the halt reverted the fault and the lever is released")


# --- dojo 04 ------------------------------------------------------------------------------------


def check_handoff(inc: Any) -> Check:
    """04 Ex1: command handed from one person to another, with the first one's end recorded."""
    ex = "exercise 1"
    if inc is None:
        return missing(ex, "open an Incident(...) in memory and assign a commander twice")
    roles = [
        r for r in getattr(inc, "roles", ()) if getattr(r.role, "value", r.role) == "commander"
    ]
    people = {r.person for r in roles}
    if len(people) < 2:
        return wrong(ex, "command has had only one holder: assign a second commander")
    if not any(getattr(r, "renounced_at", None) for r in roles):
        return wrong(ex, "the first commander never gave up the role")
    return right(ex, "the role history says who was in charge when, so cost stays derivable")


def check_update(payload: Any) -> Check:
    """04 Ex2: a tactical update within Slack's limits, with one part clipped from 5000 chars."""
    from pulsekit.incidents import check_payload

    ex = "exercise 2"
    if not payload:
        return missing(
            ex, "build it with tactical_update(inc, conditions=..., actions=..., needs=...)"
        )
    try:
        check_payload(payload)
    except PulsekitError as exc:  # the limit broken is the feedback
        return wrong(ex, f"Slack would refuse it: {exc}")
    texts = [
        b.get("text", {}).get("text", "")
        for b in payload.get("blocks", [])
        if b.get("type") == "section"
    ]
    if not any(len(t) >= 2900 for t in texts):
        return wrong(ex, "within limits; now make one part 5000 characters long and look again")
    return right(ex, "the long part was clipped to fit one section and the payload still passes")


def check_blameless(text: Any) -> Check:
    """04 Ex3: a rewrite that the blameless-wording check accepts."""
    from pulsekit.incidents import lint_text

    ex = "exercise 3"
    if _blank(text):
        return missing(ex, "rewrite `draft` and pass it")
    findings = [f for f in lint_text(text) if f.is_error]
    if findings:
        return wrong(ex, f"{len(findings)} finding(s) left, first: {findings[0].rule}")
    return right(ex, "it describes what the system allowed, and the action item starts with a verb")


def check_slowest_severity(answer: Any, history: Any) -> Check:
    """04 Ex4: the severity with the longest median time to mitigate, from ``history``."""
    ex = "exercise 4"
    if answer is None:
        return missing(ex, "metrics_table(history).by('severity') has the medians")
    minutes = (history["mitigated"] - history["detected"]).dt.total_seconds()
    medians = minutes.groupby(history["severity"]).median()
    if answer not in set(medians.index):
        return wrong(ex, f"answer with one of {sorted(medians.index)}")
    if answer == medians.idxmax():
        return right(ex, "slowest by the median; the mean would be pulled by its one long incident")
    return wrong(ex, "not the longest median: compare medians, not means")


# --- dojo 05 ------------------------------------------------------------------------------------


def check_nat_zone(az: Any, costs: Any) -> Check:
    """05 Ex1: the availability zone of the NAT gateway behind November's spike, from a query."""
    ex = "exercise 1"
    if _blank(az):
        return missing(ex, "cost_by(['resource', 'az'], where={'egress': 'nat_processing'})")
    spike = costs.cost_by(
        ["resource", "az"], "total", window="2025-11", where={"egress": "nat_processing"}
    ).df
    top = spike.sort_values(spike.columns[-1], ascending=False).iloc[0]
    if az == top["az"]:
        return right(ex, "now ask which service's instances run in that zone")
    if az in set(spike["az"]):
        return wrong(ex, "a NAT gateway of that zone exists, but it is not the one that spiked")
    return wrong(ex, "no NAT gateway of the bill is in that zone")


def check_gp3(cost: Any) -> Check:
    """05 Ex2: the monthly cost of a performance-matched gp3 volume of 4,000 GB, by hand."""
    ex = "exercise 2"
    if cost is None:
        return missing(ex, "storage + IOPS above 3,000 + MiB/s above 125, each at its price")
    if _close(float(cost), 370.0):
        return right(ex, "it matches gp3_monthly_cost(4000)")
    if _close(float(cost), 320.0):
        return wrong(ex, "that is storage only: gp2 gave this volume more IOPS and MiB/s")
    return wrong(ex, "too high" if float(cost) > 370 else "too low")


def check_unit_cost(month: Any, service: Any, costs: Any) -> Check:
    """05 Ex3: the dearest month per order since March 2025, and the dearest service per order."""
    ex = "exercise 3"
    if month is None or service is None:
        return missing(ex, "unit_cost('orders') per month, and by='service', period='total'")
    per_order = costs.unit_cost("orders").df
    after = per_order[per_order["period"] >= "2025-03-01"]
    worst = after.loc[after["unit_cost"].idxmax(), "period"].strftime("%Y-%m")
    by_service = costs.unit_cost("orders", by="service", period="total").df
    top = by_service.sort_values("unit_cost", ascending=False).iloc[0]["service"]
    notes = []
    if str(month)[:7] != worst:
        notes.append("the month is not the dearest per order since March 2025")
    if service != top:
        notes.append("the service is not the dearest per order")
    if notes:
        return wrong(ex, "; ".join(notes))
    return right(ex, "cost per order rose that month with no extra orders to pay for it")


def check_step_or_spike(answer: Any) -> Check:
    """05 Ex4: the September anomaly is a step (stays high), not a spike."""
    ex = "exercise 4"
    if answer is None:
        return missing(ex, "look at the weekly inter-AZ cost before, during and after")
    if answer not in ("step", "spike"):
        return wrong(ex, "answer 'step' or 'spike'")
    if answer == "step":
        return right(ex, "the detector's 28-day median catches up with a lasting change")
    return wrong(ex, "does the cost come back down after two weeks?")


# --- dojo 06 ------------------------------------------------------------------------------------


def check_moved(moved: Mapping[str, Any] | None, broken: Mapping[str, Any]) -> Check:
    """06 Ex1: for each regression, the Core Web Vitals whose rating is no longer good."""
    ex = "exercise 1"
    if not moved:
        return missing(
            ex, "loop over broken.items() and keep the metrics whose rating is not 'good'"
        )
    expected = {
        name: {m for m in ("LCP", "CLS", "INP") if result.ratings.get(m) not in (None, "good")}
        for name, result in broken.items()
    }
    off = [name for name in expected if set(moved.get(name, ())) != expected[name]]
    if off:
        return wrong(ex, f"not yet for {', '.join(off)}: compare with that result's ratings")
    return right(ex, "one regression can move two vitals (the unsized image moved CLS too)")


def check_budgets(budgets: Any, healthy: Any, slow_click: Any) -> Check:
    """06 Ex2: budgets the healthy page passes and the slow-click page fails, using TBT."""
    from pulsekit import vitals

    ex = "exercise 2"
    if _blank(budgets):
        return missing(ex, "budgets look like 'TBT<=...'")
    if not any(str(b).replace(" ", "").upper().startswith("TBT") for b in budgets):
        return wrong(ex, "use a TBT budget: a CI job can check it without scripting a click")
    if not vitals.check_budgets(healthy, budgets).passed:
        return wrong(ex, "the healthy page fails these budgets: too strict")
    if vitals.check_budgets(slow_click, budgets).passed:
        return wrong(ex, "the slow-click page passes: too lenient")
    return right(ex, "the budget separates the healthy page from the slow click handler")


def check_phone_inp(result: Any) -> Check:
    """06 Ex3: the slow-click product page measured on the mobile profile with a click on #buy."""
    ex = "exercise 3"
    if result is None:
        return missing(
            ex, "browser.collect(product_url, runs=1, profile='mobile', interactions=[...])"
        )
    if "/products/" not in result.url or "regress=inp" not in result.url:
        return wrong(ex, "measure the product page with ?regress=inp")
    if result.profile != "mobile":
        return wrong(ex, "use the mobile profile: the phone is the question")
    if result.p75.get("INP") is None:
        return wrong(ex, "no INP: without a click there is no interaction to measure")
    if result.ratings.get("INP") == "good":
        return wrong(ex, "INP is good: did the click reach the Add to cart button?")
    return right(ex, "the slow click handler is slow on a phone too: it waits on the wall clock")
