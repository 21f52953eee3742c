"""Performance budgets such as ``"LCP<=2500"`` or ``"CLS p75 < 0.1"`` that pass or fail like load thresholds."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, frame_records, no_time_axis
from pulsekit.errors import ConfigError
from pulsekit.vitals.result import VitalsResult
from pulsekit.vitals.thresholds import format_value, metric_name, percentile

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    "<": operator.lt,
    ">=": operator.ge,
    ">": operator.gt,
}
_SYNTAX = re.compile(
    r"^\s*(?P<metric>[A-Za-z]+)\s*(?:(?P<stat>p\d{1,2}|max|min|median)\s*)?"
    r"(?P<op><=|>=|<|>|≤|≥)\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<unit>ms|s)?\s*$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Budget:
    """A limit on one statistic of one metric over the runs, e.g. LCP p75 <= 2500 ms."""

    metric: str
    op: str
    limit: float
    stat: str = "p75"

    @classmethod
    def parse(cls, text: str) -> Budget:
        """Parse ``"LCP<=2500"``, ``"LCP p75 <= 2.5s"``, ``"CLS max < 0.1"``, ``"score >= 90"``."""
        match = _SYNTAX.match(text)
        if not match:
            raise ConfigError(
                f"budget {text!r} is not understood; write METRIC [p75|pNN|max|median] OP VALUE, "
                "e.g. 'LCP<=2500', 'CLS p75 < 0.1' or 'score>=90'"
            )
        op = {"≤": "<=", "≥": ">="}.get(match["op"], match["op"])
        limit = float(match["value"]) * (1000.0 if (match["unit"] or "").lower() == "s" else 1.0)
        name = match["metric"].lower()
        if name == "score":
            return cls("score", op, limit, "")
        try:
            metric = metric_name(name)
        except ValueError as exc:
            raise ConfigError(f"budget {text!r}: {exc}") from None
        return cls(metric, op, limit, (match["stat"] or "p75").lower())

    def __str__(self) -> str:
        if self.metric == "score":
            return f"score {self.op} {self.limit:g}"
        return f"{self.metric} {self.stat} {self.op} {format_value(self.metric, self.limit)}"

    def actual(self, result: VitalsResult) -> float | None:
        """The statistic of ``result`` this budget limits (``None`` when it was not measured)."""
        if self.metric == "score":
            return None if result.score is None else float(result.score)
        if self.stat == "p75" or not result.runs:
            return result.p75.get(self.metric)
        values = [v for v in (r.value(self.metric) for r in result.runs) if v is not None]
        if not values:
            return None
        if self.stat == "max":
            return max(values)
        if self.stat == "min":
            return min(values)
        q = 50.0 if self.stat == "median" else float(self.stat[1:])
        return percentile(values, q)


@dataclass(frozen=True)
class BudgetOutcome:
    """One budget checked against one result; a metric that was not measured fails its budget."""

    budget: Budget
    actual: float | None
    passed: bool


@dataclass(frozen=True)
class BudgetReport(ResultMixin):
    """Every budget's outcome; ``passed`` only when all passed."""

    outcomes: tuple[BudgetOutcome, ...]

    @property
    def passed(self) -> bool:
        """True when every budget held."""
        return all(o.passed for o in self.outcomes)

    @property
    def failed(self) -> tuple[BudgetOutcome, ...]:
        """The outcomes that broke their budget."""
        return tuple(o for o in self.outcomes if not o.passed)

    def summary(self) -> str:
        """One line per budget with the actual value and pass/FAIL."""
        lines = []
        for o in self.outcomes:
            shown = (
                "not measured"
                if o.actual is None
                else (
                    f"{o.actual:g}"
                    if o.budget.metric == "score"
                    else format_value(o.budget.metric, o.actual)
                )
            )
            lines.append(f"{'pass' if o.passed else 'FAIL'}  {o.budget}  (actual {shown})")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per budget: metric, statistic, operator, limit, actual value, passed."""
        import pandas as pd

        rows = [
            {
                "budget": str(o.budget),
                "metric": o.budget.metric,
                "stat": o.budget.stat,
                "op": o.budget.op,
                "limit": o.budget.limit,
                "actual": o.actual,
                "passed": o.passed,
            }
            for o in self.outcomes
        ]
        columns = ["budget", "metric", "stat", "op", "limit", "actual", "passed"]
        return pd.DataFrame(rows, columns=columns)

    def to_dict(self) -> dict[str, Any]:
        """``passed`` and one record per budget, JSON-safe."""
        return {"passed": self.passed, "budgets": frame_records(self.to_frame())}

    def plot(self, ax: Axes | None = None, *, faults: Any = ()) -> Axes:
        """Each budget's actual value as a share of its limit, green when it held, red when not
        (no time axis: ``faults`` must be empty)."""
        from pulsekit._plotting import axes_or_new

        no_time_axis(faults, "BudgetReport.plot (actual / limit per budget)")
        ax = axes_or_new(ax, (8, 3))
        labels = [str(o.budget) for o in self.outcomes][::-1]
        shares = [
            0.0 if o.actual is None or not o.budget.limit else o.actual / o.budget.limit
            for o in self.outcomes
        ][::-1]
        colours = ["#0cce6b" if o.passed else "#ff4e42" for o in self.outcomes][::-1]
        ax.barh(labels, shares, color=colours)
        ax.axvline(1.0, color="grey", linestyle="--", linewidth=1)
        ax.set_xlabel("actual / limit")
        ax.set_title(f"budgets: {len(self.failed)} of {len(self.outcomes)} broken", fontsize=9)
        return ax


def check_budgets(result: VitalsResult, budgets: Iterable[Budget | str]) -> BudgetReport:
    """Check ``result`` against budgets (strings are parsed with :meth:`Budget.parse`)."""
    outcomes = []
    for item in budgets:
        budget = item if isinstance(item, Budget) else Budget.parse(item)
        actual = budget.actual(result)
        ok = actual is not None and _OPS[budget.op](actual, budget.limit)
        outcomes.append(BudgetOutcome(budget, actual, ok))
    return BudgetReport(tuple(outcomes))
