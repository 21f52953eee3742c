"""Time windows and tag lookups that every cost question shares (below ``dataset`` and the analyses)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import TypeAlias

from pulsekit.costs._engine import literal
from pulsekit.errors import CostError

DateLike: TypeAlias = str | date | datetime
"""A day or a moment: ``"2025-11-12"``, ``"2025-11-12 14:30"``, a date or a datetime (naive = UTC)."""
Window: TypeAlias = str | date | datetime | tuple[DateLike, DateLike] | None
"""A year ``"2025"``, a month ``"2025-11"``, a day, a date or datetime, or ``(start, end)``."""


def _ts(value: DateLike, field: str) -> datetime:
    """A naive UTC datetime from a date, a datetime or an ISO string (offsets converted to UTC)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if not isinstance(value, datetime):
        try:
            value = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError as exc:
            raise CostError(
                f"{field}={value!r} is not a date; use 'YYYY-MM-DD' or 'YYYY-MM-DD HH:MM'"
            ) from exc
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    stamp: datetime = value.replace(tzinfo=None)
    return stamp


def parse_window(window: Window) -> tuple[datetime, datetime] | None:
    """``"2025-11"``, ``"2025"``, ``"2025-11-12"`` or ``(start, end)`` -> [start, end) datetimes."""
    if window is None:
        return None
    if isinstance(window, tuple):
        start, end = _ts(window[0], "window start"), _ts(window[1], "window end")
        if end <= start:
            raise CostError(f"window {window!r} ends before it starts; pass (start, end)")
        return start, end
    if isinstance(window, datetime | date):
        start = _ts(window, "window")
        return start, start + timedelta(days=1)
    text = str(window).strip()
    if re.fullmatch(r"\d{4}", text):
        return datetime(int(text), 1, 1), datetime(int(text) + 1, 1, 1)
    if (m := re.fullmatch(r"(\d{4})-(\d{2})", text)) and 1 <= int(m.group(2)) <= 12:
        y, mo = int(m.group(1)), int(m.group(2))
        return datetime(y, mo, 1), datetime(y + mo // 12, mo % 12 + 1, 1)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        start = _ts(text, "window")
        return start, start + timedelta(days=1)
    raise CostError(
        f"window={window!r} is not understood; use 'YYYY', 'YYYY-MM', 'YYYY-MM-DD' or (start, end)"
    )


def tag_sql(key: str) -> str:
    """SQL for the value of tag ``key`` (exact key first, then case/space-insensitive)."""
    k = key.strip().lower()
    exact = f"json_extract_string(Tags, {literal('$.' + json_path_key(key))})"
    fuzzy = (
        "list_filter(map_entries(json_transform(Tags, '\"MAP(VARCHAR, VARCHAR)\"')), "
        f"e -> lower(trim(e.key)) = {literal(k)})[1].value"
    )
    return f"NULLIF(coalesce({exact}, {fuzzy}), '')"


def json_path_key(key: str) -> str:
    """A JSON path component for ``key`` (quoted when it has special characters)."""
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else '"' + key + '"'
