"""Export an SLO as Prometheus recording + alerting rules and as OpenSLO v1 YAML."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pulsekit._util import format_duration

if TYPE_CHECKING:
    from pulsekit.observe.slo import SLO


def _le(threshold: float) -> str:
    """A matcher for the ``le`` label that accepts both Go (``1``) and Python (``1.0``) spelling."""
    from prometheus_client.utils import floatToGoString

    text: str = floatToGoString(threshold)  # type: ignore[no-untyped-call]  # untyped library
    alternatives = {text, f"{threshold:g}", repr(float(threshold))}
    return "|".join(sorted(re.escape(a) for a in alternatives))


def _q(text: str) -> str:
    """Escape a regex for a double-quoted PromQL string (backslashes and quotes)."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def queries(slo: SLO, window: str) -> tuple[str, str]:
    """PromQL (bad events rate, total events rate) over ``window`` for the SLO's SLI."""
    sli = slo.sli
    base = [f'job=~"{_q(sli.service)}"']
    if sli.route:
        base.append(f'route=~"{_q(sli.route)}"')
    sel = ",".join(base)
    if sli.kind == "availability":
        total = f"sum(rate({sli.metric}{{{sel}}}[{window}]))"
        bad = f'sum(rate({sli.metric}{{{sel},{sli.status_label}=~"{_q(sli.errors)}"}}[{window}]))'
        return bad, total
    assert sli.threshold is not None
    total = f"sum(rate({sli.metric}_count{{{sel}}}[{window}]))"
    good = f'sum(rate({sli.metric}_bucket{{{sel},le=~"{_q(_le(sli.threshold))}"}}[{window}]))'
    return f"({total} - {good})", total


def _windows(slo: SLO) -> list[str]:
    seen: list[str] = []
    for rule in slo.alert_rules():
        for w in (rule.short_window, rule.long_window):
            text = format_duration(w)
            if text not in seen:
                seen.append(text)
    return seen


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^A-Za-z0-9]+", name) if part)


def to_prometheus_rules(slo: SLO) -> str:
    """Rules YAML in Sloth's shape: ``slo:sli_error:ratio_rate<window>`` plus one alert per rule."""
    import yaml

    labels = {"slo": slo.name, "service": slo.sli.service}
    recording: list[dict[str, Any]] = []
    for window in _windows(slo):
        bad, total = queries(slo, window)
        recording.append(
            {
                "record": f"slo:sli_error:ratio_rate{window}",
                "expr": f"{bad} / {total}",
                "labels": dict(labels),
            }
        )
    recording.append(
        {
            "record": "slo:objective:ratio",
            "expr": f"vector({slo.objective})",
            "labels": dict(labels),
        }
    )
    recording.append(
        {
            "record": "slo:error_budget:ratio",
            "expr": f"vector({slo.error_budget:.10g})",
            "labels": dict(labels),
        }
    )
    alerting: list[dict[str, Any]] = []
    budget = f"{slo.error_budget:.10g}"
    sel = f'{{slo="{slo.name}"}}'
    for rule in slo.alert_rules():
        long_w, short_w = format_duration(rule.long_window), format_duration(rule.short_window)
        expr = (
            f"slo:sli_error:ratio_rate{long_w}{sel} > ({rule.burn_rate:g} * {budget})"
            f" and slo:sli_error:ratio_rate{short_w}{sel} > ({rule.burn_rate:g} * {budget})"
        )
        alerting.append(
            {
                "alert": f"{_camel(slo.name)}ErrorBudgetBurn{_camel(rule.name)}",
                "expr": expr,
                "labels": {**labels, "severity": rule.severity, "window": rule.name},
                "annotations": {
                    "summary": f"{slo.name} burns its error budget {rule.burn_rate:g}x too fast",
                    "description": (
                        f"{slo.sli.description}. At this rate {rule.budget_consumed:.0%} of the "
                        f"{format_duration(slo.period)} budget is gone within "
                        f"{format_duration(rule.long_window)}."
                    ),
                },
            }
        )
    doc = {
        "groups": [
            {"name": f"slo-{slo.name}-recording", "rules": recording},
            {"name": f"slo-{slo.name}-alerts", "rules": alerting},
        ]
    }
    return str(yaml.safe_dump(doc, sort_keys=False, width=120))


def to_openslo(slo: SLO) -> str:
    """OpenSLO v1: one ``SLO`` with an inline ratio indicator and an ``AlertPolicy`` per rule."""
    import yaml

    bad, total = queries(slo, "1m")
    docs: list[dict[str, Any]] = []
    policies = []
    for rule in slo.alert_rules():
        name = f"{slo.name}-{rule.name}"
        policies.append(
            {
                "kind": "AlertPolicy",
                "metadata": {"name": name},
                "spec": {
                    "description": f"{rule.severity}: burn rate above {rule.burn_rate:g} "
                    f"over {format_duration(rule.long_window)} and {format_duration(rule.short_window)}",
                    "alertWhenBreaching": True,
                    "alertWhenResolved": False,
                    "alertWhenNoData": False,
                    "conditions": [
                        {
                            "kind": "AlertCondition",
                            "metadata": {"name": f"{name}-burn"},
                            "spec": {
                                "severity": rule.severity,
                                "condition": {
                                    "kind": "burnrate",
                                    "op": "gte",
                                    "threshold": rule.burn_rate,
                                    "lookbackWindow": _openslo_duration(rule.long_window),
                                    "alertAfter": _openslo_duration(rule.short_window),
                                },
                            },
                        }
                    ],
                    "notificationTargets": [],
                },
            }
        )
    docs.append(
        {
            "apiVersion": "openslo/v1",
            "kind": "SLO",
            "metadata": {"name": slo.name, "displayName": f"{slo.name} {slo.objective:.3%}"},
            "spec": {
                "description": slo.sli.description,
                "service": slo.sli.service,
                "indicator": {
                    "metadata": {"name": f"{slo.name}-sli"},
                    "spec": {
                        "ratioMetric": {
                            "counter": True,
                            "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": bad}}},
                            "total": {
                                "metricSource": {"type": "Prometheus", "spec": {"query": total}}
                            },
                        }
                    },
                },
                "timeWindow": [{"duration": _openslo_duration(slo.period), "isRolling": True}],
                "budgetingMethod": "Occurrences",
                "objectives": [{"displayName": slo.sli.kind, "target": slo.objective}],
                "alertPolicies": [
                    {"kind": "AlertPolicy", "metadata": p["metadata"], "spec": p["spec"]}
                    for p in policies
                ],
            },
        }
    )
    return str(yaml.safe_dump_all(docs, sort_keys=False, width=120))


def _openslo_duration(seconds: float) -> str:
    """OpenSLO durations are whole units (``30d``, ``5m``, ``1s``): round sub-second windows up."""
    text = format_duration(max(1.0, round(seconds)))
    return text
