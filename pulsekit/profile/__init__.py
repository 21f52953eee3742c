"""Profiling: sample a running process's Python stacks with py-spy; frames as data, flame graphs, diffs.

>>> from pulsekit import profile                                    # doctest: +SKIP
>>> before = profile.record("api-1", sandbox=shop, duration="5s")   # doctest: +SKIP
>>> before.top(5); before.compare(after).summary()                  # doctest: +SKIP
"""

from __future__ import annotations

from pulsekit.profile.compare import ProfileDiff, compare
from pulsekit.profile.recorder import from_speedscope, record, start
from pulsekit.profile.result import Profile

__all__ = ["Profile", "ProfileDiff", "compare", "from_speedscope", "record", "start"]
