"""The vocabulary of an incident: status, severity, priority, roles, timeline entries and tasks."""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from pulsekit.errors import ConfigError


class Status(enum.StrEnum):
    """Where the response stands: Active → Stable → Closed, never backwards."""

    ACTIVE = "active"  # still under active investigation
    STABLE = "stable"  # impact mitigated, most of the risk gone
    CLOSED = "closed"  # nothing more needed; long-term action items handed to owners

    @property
    def rank(self) -> int:
        """Position in the one-way order Active (0) → Stable (1) → Closed (2)."""
        return list(Status).index(self)


class Severity(enum.IntEnum):
    """Measured impact of an incident, SEV1 (worst) to SEV5 (cosmetic); kept apart from priority."""

    SEV1 = 1  # critical: customer-facing service down for most users, data loss or exposure
    SEV2 = 2  # major: a core function broken or badly degraded for many users
    SEV3 = 3  # minor: partial degradation for a subset, a workaround exists, or no redundancy left
    SEV4 = 4  # no customer-visible impact: one host lost, a delayed background job
    SEV5 = 5  # cosmetic

    @property
    def is_major(self) -> bool:
        """SEV1 and SEV2 are major incidents (page the commander, write a postmortem)."""
        return self.value <= 2

    @classmethod
    def parse(cls, value: str | int | Severity) -> Severity:
        """``"SEV2"``, ``"sev-2"``, ``"2"`` or ``2`` → :attr:`SEV2`."""
        if isinstance(value, Severity):
            return value
        text = str(value).strip().upper().replace("-", "").replace(" ", "")
        text = text.removeprefix("SEV")
        if text.isdigit() and 1 <= int(text) <= 5:
            return cls(int(text))
        raise ConfigError(f"severity={value!r} is not one of SEV1..SEV5; use e.g. 'SEV2'")

    @classmethod
    def suggest(cls, *, failed_ratio: float, data_loss: bool = False) -> Severity:
        """A metric-driven first guess from the share of failed requests (argue it in the review).

        >>> Severity.suggest(failed_ratio=0.2)
        <Severity.SEV2: 2>
        """
        if data_loss or failed_ratio >= 0.5:
            return cls.SEV1
        if failed_ratio >= 0.10:
            return cls.SEV2
        if failed_ratio >= 0.01:
            return cls.SEV3
        if failed_ratio > 0:
            return cls.SEV4
        return cls.SEV5


class Priority(enum.StrEnum):
    """Urgency of the response (drives paging and update cadence), independent of severity."""

    HIGH = "high"  # 24x7, before all other work; page the commander
    MEDIUM = "medium"  # full attention during waking hours, weekends included
    LOW = "low"  # team attention during working hours

    @property
    def update_every_hours(self) -> float:
        """How often a tactical update is due at this priority."""
        return {"high": 1.0, "medium": 4.0, "low": 12.0}[self.value]

    @property
    def pages_commander(self) -> bool:
        """Whether this priority pages an incident commander."""
        return self is Priority.HIGH

    @classmethod
    def parse(cls, value: str | Priority) -> Priority:
        """``"high"``, ``"P1"`` → :attr:`HIGH`; ``"medium"``/``"P2"``; ``"low"``/``"P3"``."""
        if isinstance(value, Priority):
            return value
        text = str(value).strip().lower()
        text = {"p1": "high", "p2": "medium", "p3": "low"}.get(text, text)
        try:
            return cls(text)
        except ValueError:
            raise ConfigError(
                f"priority={value!r} is not one of high, medium, low (or P1, P2, P3)"
            ) from None


class Role(enum.StrEnum):
    """Roles a person takes in the response; a person may hold several over time."""

    COMMANDER = "commander"
    SCRIBE = "scribe"
    LIAISON = "liaison"
    RESPONDER = "responder"
    OBSERVER = "observer"

    @property
    def single(self) -> bool:
        """Commander, scribe and liaison are held by one person at a time (a hand-off renounces)."""
        return self in (Role.COMMANDER, Role.SCRIBE, Role.LIAISON)

    @property
    def engagement(self) -> float:
        """Share of an hour counted as response cost (Dispatch's weights; observers are free)."""
        return {"commander": 1.0, "scribe": 0.75, "liaison": 0.75, "responder": 0.5}.get(
            self.value, 0.0
        )


class ActionType(enum.StrEnum):
    """Kind of a follow-up (the Google SRE vocabulary)."""

    MITIGATE = "mitigate"
    PREVENT = "prevent"
    PROCESS = "process"


MILESTONES = ("impact_started", "detected", "acknowledged", "mitigated", "resolved")
"""Milestone names, in the order they must happen."""


def utc(value: datetime | str) -> datetime:
    """A timezone-aware UTC datetime from a datetime or an ISO-8601 string (naive means UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(
                f"time {value!r} is not ISO-8601; use e.g. '2026-11-28T10:15:00Z'"
            ) from None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """ISO-8601 text of a UTC datetime (``None`` stays ``None``)."""
    return None if value is None else utc(value).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the append-only timeline."""

    time: datetime
    type: str
    description: str
    source: str = "human"
    owner: str | None = None
    pinned: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The JSON-lines record of this entry."""
        out = asdict(self)
        out["time"] = iso(self.time)
        return out

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> TimelineEntry:
        """Rebuild an entry from its JSON-lines record (missing optional keys take defaults)."""
        if "time" not in record or "description" not in record:
            raise ConfigError("a timeline record needs 'time' and 'description'")
        data = record.get("data") or {}
        return cls(
            time=utc(record["time"]),
            type=str(record.get("type") or "note"),
            description=str(record["description"]),
            source=str(record.get("source") or "human"),
            owner=record.get("owner"),
            pinned=bool(record.get("pinned", False)),
            data=dict(data) if isinstance(data, dict) else {"value": data},
        )


@dataclass(frozen=True)
class RoleAssignment:
    """A person holding a role from ``assumed_at`` until ``renounced_at`` (None while held)."""

    person: str
    role: Role
    assumed_at: datetime
    renounced_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "person": self.person,
            "role": self.role.value,
            "assumed_at": iso(self.assumed_at),
            "renounced_at": iso(self.renounced_at),
        }

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> RoleAssignment:
        """Rebuild from JSON."""
        renounced = record.get("renounced_at")
        return cls(
            person=record["person"],
            role=Role(record["role"]),
            assumed_at=utc(record["assumed_at"]),
            renounced_at=utc(renounced) if renounced else None,
        )


@dataclass(frozen=True)
class Task:
    """Work with an owner: a task during the response, or an action item after it."""

    id: str
    description: str
    owner: str | None = None
    priority: Priority = Priority.MEDIUM
    type: ActionType = ActionType.MITIGATE
    due: date | None = None
    done: bool = False
    action_item: bool = False  # False: a task of the response; True: a post-incident action item
    ticket: str | None = None

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        out = asdict(self)
        out["priority"] = self.priority.value
        out["type"] = self.type.value
        out["due"] = self.due.isoformat() if self.due else None
        return out

    @classmethod
    def from_json(cls, record: dict[str, Any]) -> Task:
        """Rebuild from JSON."""
        due = record.get("due")
        return cls(
            id=record["id"],
            description=record["description"],
            owner=record.get("owner"),
            priority=Priority.parse(record.get("priority") or "medium"),
            type=ActionType(record.get("type") or "mitigate"),
            due=date.fromisoformat(due) if due else None,
            done=bool(record.get("done", False)),
            action_item=bool(record.get("action_item", False)),
            ticket=record.get("ticket"),
        )


@dataclass(frozen=True)
class Impact:
    """What users felt; every field optional (unknown stays None and becomes a prompt)."""

    requests_failed: int | None = None
    requests_total: int | None = None
    users_affected: int | None = None
    slo_target: float | None = None  # e.g. 0.999
    window_requests: int | None = None  # requests in the whole SLO window, for budget consumed
    budget_consumed: float | None = None  # share of the window's error budget (0..1+)
    revenue_per_failed_request: float | None = None

    @property
    def failed_ratio(self) -> float | None:
        """Share of requests that failed during the incident."""
        if self.requests_failed is None or not self.requests_total:
            return None
        return self.requests_failed / self.requests_total

    @property
    def slo_budget_consumed(self) -> float | None:
        """Share of the SLO window's error budget burnt (given, or from failures and the window)."""
        if self.budget_consumed is not None:
            return self.budget_consumed
        if self.requests_failed is None or self.slo_target is None or not self.window_requests:
            return None
        budget = (1.0 - self.slo_target) * self.window_requests
        return self.requests_failed / budget if budget > 0 else None

    @property
    def lost_revenue(self) -> float | None:
        """Failed requests × revenue per failed request, when both are known."""
        if self.requests_failed is None or self.revenue_per_failed_request is None:
            return None
        return self.requests_failed * self.revenue_per_failed_request

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)
