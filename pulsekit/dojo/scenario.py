"""The course's shared scenario (``dojos/scenario.yaml``): its SLOs, stop conditions and why."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pulsekit._util import parse_duration
from pulsekit.errors import ConfigError
from pulsekit.observe.slo import SLO, slo_from_dict


@dataclass(frozen=True)
class Scenario:
    """SLOs by name with the reason for each bar, and the stop conditions of an experiment."""

    name: str
    slos: dict[str, SLO]
    why: dict[str, str]
    max_burn: float
    max_p95_ms: float
    stop_why: str

    def slo(self, name: str) -> SLO:
        """The SLO called ``name``."""
        try:
            return self.slos[name]
        except KeyError:
            raise ConfigError(
                f"scenario {self.name!r} has no SLO {name!r}; it has {sorted(self.slos)}"
            ) from None

    def threshold_ms(self, name: str) -> float:
        """The latency bar of a latency SLO, in milliseconds."""
        sli = self.slo(name).sli
        if sli.kind != "latency" or sli.threshold is None:
            raise ConfigError(f"SLO {name!r} is not a latency SLO; pick one with a threshold")
        return sli.threshold * 1000

    def summary(self) -> str:
        """One paragraph per bar: the SLO in words, then why."""
        lines = []
        for name, slo in self.slos.items():
            lines.append(f"{name}: {slo.objective:.3%} of {slo.sli.description}, over {slo.window}")
            lines.append(f"  why: {self.why.get(name, '')}")
        lines.append(f"stop: burn rate > {self.max_burn:g} or gateway p95 > {self.max_p95_ms:g} ms")
        lines.append(f"  why: {self.stop_why}")
        return "\n".join(lines)


def load_scenario(path: str | os.PathLike[str] = "../scenario.yaml") -> Scenario:
    """Read the scenario file (from a dojo folder the default is the course's shared one)."""
    import yaml

    try:
        with open(path, encoding="utf-8") as fh:
            spec = yaml.safe_load(fh)
    except OSError as exc:
        raise ConfigError(
            f"cannot read the scenario {os.fspath(path)!r}: {exc}; run the notebook from its dojo "
            "folder or pass the path of dojos/scenario.yaml"
        ) from exc
    return scenario_from_dict(spec)


def scenario_from_dict(spec: Any) -> Scenario:
    """A :class:`Scenario` from the parsed YAML mapping."""
    if not isinstance(spec, dict) or not isinstance(spec.get("slos"), list):
        raise ConfigError(
            "scenario: expected a mapping with a 'slos' list (see dojos/scenario.yaml)"
        )
    slos: dict[str, SLO] = {}
    why: dict[str, str] = {}
    for i, entry in enumerate(spec["slos"]):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise ConfigError(f"scenario slos[{i}]: needs a 'name' (e.g. name: gateway-latency)")
        entry = dict(entry)
        why[entry["name"]] = str(entry.pop("why", "")).strip()
        slos[entry["name"]] = slo_from_dict(entry)
    stop = spec.get("stop") or {}
    if not isinstance(stop, dict):
        raise ConfigError("scenario 'stop': expected a mapping with max_burn and max_p95")
    try:
        max_burn = float(stop.get("max_burn", 14.4))
    except (TypeError, ValueError):
        raise ConfigError(
            f"scenario stop.max_burn={stop.get('max_burn')!r}: use a number"
        ) from None
    return Scenario(
        name=str(spec.get("name", "scenario")),
        slos=slos,
        why=why,
        max_burn=max_burn,
        max_p95_ms=parse_duration(stop.get("max_p95", "2s"), field="stop.max_p95") * 1000,
        stop_why=str(stop.get("why", "")).strip(),
    )
