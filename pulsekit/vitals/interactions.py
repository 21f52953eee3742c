"""Scripted interactions (click, type, press) that give INP a value in the lab."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pulsekit.errors import ConfigError


@dataclass(frozen=True)
class Interaction:
    """One user action played after the page settled: ``click``, ``type`` (into a field) or ``press``."""

    action: Literal["click", "type", "press"]
    selector: str = ""
    text: str = ""

    def __str__(self) -> str:
        if self.action == "press":
            return f"press {self.text}"
        if self.action == "type":
            return f"type {self.text!r} into {self.selector}"
        return f"click {self.selector}"


def click(selector: str) -> Interaction:
    """Click the first element matching the CSS ``selector``."""
    return Interaction("click", selector)


def type_text(selector: str, text: str) -> Interaction:
    """Type ``text`` key by key into the element matching ``selector``."""
    return Interaction("type", selector, text)


def press(key: str) -> Interaction:
    """Press one key (Playwright key name such as ``"Enter"`` or ``"Tab"``) on the focused element."""
    return Interaction("press", "", key)


def as_interactions(items: Iterable[Interaction | str] | None) -> tuple[Interaction, ...]:
    """Normalise a list: a plain string is a CSS selector to click."""
    out: list[Interaction] = []
    for item in items or ():
        if isinstance(item, Interaction):
            out.append(item)
        elif isinstance(item, str) and item.strip():
            out.append(click(item.strip()))
        else:
            raise ConfigError(
                f"interactions: {item!r} is not an interaction; pass a CSS selector string or "
                "vitals.click('#id') / vitals.type_text('#q', 'shoes') / vitals.press('Enter')"
            )
    return tuple(out)
