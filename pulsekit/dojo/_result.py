"""The answer of an exercise check: right, not yet, or not answered, with the reason."""

from __future__ import annotations

from dataclasses import dataclass

_LABELS = {"right": "right", "wrong": "not yet", "missing": "not answered yet"}


@dataclass(frozen=True)
class Check:
    """What a ``check_...()`` found. Printing it gives one line; it is truthy only when right."""

    exercise: str
    status: str  # "right", "wrong" or "missing"
    why: str

    @property
    def ok(self) -> bool:
        """True when the answer is right."""
        return self.status == "right"

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        return f"{self.exercise}: {_LABELS[self.status]}: {self.why}"

    def _repr_pretty_(self, printer: object, cycle: bool) -> None:  # IPython shows str()
        printer.text(str(self))  # type: ignore[attr-defined]


def right(exercise: str, why: str) -> Check:
    """A right answer and what it shows."""
    return Check(exercise, "right", why)


def wrong(exercise: str, why: str) -> Check:
    """A wrong answer and a nudge (never the answer itself)."""
    return Check(exercise, "wrong", why)


def missing(exercise: str, hint: str) -> Check:
    """No answer yet, with a hint to start from."""
    return Check(exercise, "missing", hint)
