"""A recorded CPU profile as data: per-function self and total shares, top frames, a flame graph."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pulsekit._result import ResultMixin, html_view, json_safe, no_time_axis
from pulsekit.profile._speedscope import Frame

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes

    from pulsekit.profile.compare import ProfileDiff

FUNCTION_COLUMNS = ("function", "file", "self_n", "total_n", "self_pct", "total_pct")


@dataclass(frozen=True)
class Profile(ResultMixin):
    """What py-spy saw in one process over a window: samples of the stacks that were running.

    ``self_pct`` is the share of samples where a function was the running leaf; ``total_pct`` the
    share where it was anywhere on the stack (once per sample, so recursion does not inflate it).
    Idle samples (waiting in the event loop's ``select``) are left out unless recorded with
    ``idle=True``, so shares are of CPU-active time.
    """

    target: str  # "api-1 (pid 1234)" or "pid 1234"
    pid: int
    duration_s: float
    rate_hz: int
    stacks: Mapping[tuple[Frame, ...], int]
    path: str | None = None  # the speedscope JSON file (open it at https://www.speedscope.app)
    warnings: tuple[str, ...] = field(default=())

    @property
    def samples(self) -> int:
        """Samples kept (CPU-active ones unless recorded with idle=True)."""
        return sum(self.stacks.values())

    @property
    def active_share(self) -> float:
        """Kept samples over samples expected at ``rate_hz`` for ``duration_s``: about CPU busy."""
        expected = self.rate_hz * self.duration_s
        return min(1.0, self.samples / expected) if expected > 0 else 0.0

    def to_frame(self) -> pd.DataFrame:
        """One row per (function, file): self_n, total_n, self_pct, total_pct; by total_pct."""
        import pandas as pd

        self_n: dict[Frame, int] = {}
        total_n: dict[Frame, int] = {}
        for stack, count in self.stacks.items():
            if not stack:
                continue
            self_n[stack[-1]] = self_n.get(stack[-1], 0) + count
            for frame in set(stack):
                total_n[frame] = total_n.get(frame, 0) + count
        n = max(1, self.samples)
        rows = [
            (
                fn,
                file,
                self_n.get((fn, file), 0),
                tot,
                100.0 * self_n.get((fn, file), 0) / n,
                100.0 * tot / n,
            )
            for (fn, file), tot in total_n.items()
        ]
        table = pd.DataFrame(rows, columns=list(FUNCTION_COLUMNS))
        return table.sort_values(
            ["total_pct", "self_pct", "function"], ascending=[False, False, True]
        ).reset_index(drop=True)

    def top(self, n: int = 10, *, by: str = "self", trunk: bool = False) -> pd.DataFrame:
        """The ``n`` functions with the most ``self`` (leaf) or ``total`` (on stack) samples.

        By total, the trunk (frames on every sample that mostly call others, such as
        ``<module>`` and ``main``: less than half their samples are their own) says nothing and is
        left out unless ``trunk=True``.
        """
        if by not in ("self", "total"):
            from pulsekit.errors import ConfigError

            raise ConfigError(f"by={by!r} must be 'self' or 'total'")
        col = f"{by}_pct"
        table = self.to_frame()
        if by == "total" and not trunk and self.samples:
            trunk_rows = (table["total_n"] >= self.samples) & (
                2 * table["self_n"] < table["total_n"]
            )
            table = table[~trunk_rows]
        other = "total_pct" if by == "self" else "self_pct"
        ordered = table.sort_values([col, other, "function"], ascending=[False, False, True])
        return ordered.head(n).reset_index(drop=True)

    def share(self, function: str, *, by: str = "total") -> float:
        """Percent of samples with a function whose name contains ``function`` (self or on stack)."""
        n = max(1, self.samples)
        hits = 0
        for stack, count in self.stacks.items():
            frames = stack[-1:] if by == "self" else stack
            if any(function in fn for fn, _ in frames):
                hits += count
        return 100.0 * hits / n

    def without(self, *functions: str) -> Profile:
        """The same profile minus samples whose leaf is one of ``functions`` (exact names).

        ``without("Runner.run")`` drops the samples where the event loop's own C code (uvloop)
        ran with no Python frame above it: they say "the loop was busy", not where.
        """
        kept = {s: n for s, n in self.stacks.items() if not s or s[-1][0] not in functions}
        return replace(self, stacks=kept, target=f"{self.target} without {', '.join(functions)}")

    def focus(self, function: str) -> Profile:
        """Only the samples with a function whose name contains ``function`` on the stack."""
        kept = {s: n for s, n in self.stacks.items() if any(function in fn for fn, _ in s)}
        return replace(self, stacks=kept, target=f"{self.target} focused on {function}")

    def compare(self, other: Profile, *, by: str = "total") -> ProfileDiff:
        """Before (self) / after (other) shares per function, with the sampling noise of each Δ."""
        from pulsekit.profile.compare import compare

        return compare(self, other, by=by)

    def summary(self, n: int = 5) -> str:
        lines = [
            f"profile of {self.target}: {self.samples} samples over {self.duration_s:.0f} s at "
            f"{self.rate_hz} Hz (CPU-active about {self.active_share:.0%} of the window)"
        ]
        for row in self.top(n, by="self").itertuples():
            lines.append(
                f"  self {row.self_pct:5.1f}%  total {row.total_pct:5.1f}%  {row.function} ({row.file})"
            )
        lines += [f"  warning: {w}" for w in self.warnings]
        if self.path:
            lines.append(f"  flame graph: {self.path} (open in https://www.speedscope.app)")
        return "\n".join(lines)

    def plot(self, ax: Axes | None = None, *, min_pct: float = 1.0, faults: Any = ()) -> Axes:
        """A flame graph (root at the bottom, width = share of samples); see also :meth:`write_svg`.
        No time axis: ``faults`` must be empty."""
        from pulsekit.profile._flame import draw

        no_time_axis(faults, "Profile.plot (a flame graph)")
        return draw(self, ax=ax, min_pct=min_pct)

    def write_svg(self, path: str | Path, *, min_pct: float = 0.5) -> Path:
        """Save the flame graph as an SVG file any browser opens."""
        from pulsekit.profile._flame import write_svg

        return write_svg(self, Path(path), min_pct=min_pct)

    def to_dict(self) -> dict[str, Any]:
        """Target, sampling, and the top 20 functions by self time, JSON-safe."""
        top = self.top(20, by="self")
        return json_safe(  # type: ignore[no-any-return]
            {
                "target": self.target,
                "pid": self.pid,
                "duration_s": self.duration_s,
                "rate_hz": self.rate_hz,
                "samples": self.samples,
                "path": self.path,
                "top": [
                    {k: (round(v, 2) if isinstance(v, float) else v) for k, v in row.items()}
                    for row in top.to_dict(orient="records")
                ],
                "warnings": list(self.warnings),
            }
        )

    def _repr_html_(self) -> str:
        return html_view(self.summary(), self.top(10))
