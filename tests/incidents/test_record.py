"""The incident record: files, status order, milestones, roles, tasks."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from pulsekit.errors import ConfigError, IncidentError, TransitionError
from pulsekit.incidents import Incident, IncidentWarning, Role, Status

from .conftest import T0, FakeClock, drill


def test_record_and_timeline_round_trip_through_the_folder(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Everything noted is on disk: loading the folder gives back the same record and timeline."""
    inc = drill(tmp_path / "inc", clock)
    loaded = Incident.load(tmp_path / "inc", clock=clock)
    assert loaded.to_json() == inc.to_json()
    assert loaded.timeline == inc.timeline
    assert loaded.status is Status.CLOSED
    assert loaded.action_items[0].description == "Add an alert on replica lag"


def test_timeline_file_is_append_only_one_line_per_entry(tmp_path: Path, clock: FakeClock) -> None:
    """A new note appends one JSON line and leaves every earlier line byte for byte."""
    inc = Incident("api down", dir=tmp_path, clock=clock)
    before = (tmp_path / "timeline.jsonl").read_text()
    clock.advance(seconds=30)
    inc.note("api-2 killed", owner="ana", pinned=True)
    after = (tmp_path / "timeline.jsonl").read_text()
    assert after.startswith(before)
    last = json.loads(after.splitlines()[-1])
    assert last["description"] == "api-2 killed" and last["owner"] == "ana" and last["pinned"]
    assert set(last) >= {"time", "source", "type", "description", "owner", "pinned"}


def test_a_torn_last_line_loses_only_that_line(tmp_path: Path, clock: FakeClock) -> None:
    """A crash mid-write leaves a torn line: loading warns and keeps every complete entry."""
    inc = Incident("api down", dir=tmp_path, clock=clock)
    inc.note("first")
    inc.note("second")
    with open(tmp_path / "timeline.jsonl", "a") as fh:
        fh.write('{"time": "2026-11-27T10:00:0')
    with pytest.warns(IncidentWarning, match="truncated"):
        loaded = Incident.load(tmp_path, clock=clock)
    assert [e.description for e in loaded.timeline][-2:] == ["first", "second"]


def test_existing_record_is_not_overwritten_without_overwrite(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Creating an incident where one exists fails and leaves the old record intact."""
    Incident("first", dir=tmp_path, clock=clock, id="INC-A")
    with pytest.raises(IncidentError, match="already exists"):
        Incident("second", dir=tmp_path, clock=clock)
    assert Incident.load(tmp_path).id == "INC-A"
    assert Incident("second", dir=tmp_path, clock=clock, overwrite=True).title == "second"


def test_status_only_moves_forward(clock: FakeClock) -> None:
    """Active → Stable → Closed; going back or repeating a status raises TransitionError."""
    inc = Incident("api down", clock=clock)
    clock.advance(minutes=5)
    inc.set_status("stable")
    assert inc.stable_at == T0 + timedelta(minutes=5)
    with pytest.raises(TransitionError, match="active → stable → closed"):
        inc.set_status(Status.ACTIVE)
    with pytest.raises(TransitionError):
        inc.set_status(Status.STABLE)
    inc.set_status(Status.CLOSED)
    with pytest.raises(TransitionError):
        inc.set_status(Status.STABLE)


def test_closing_from_active_fills_the_stable_time(clock: FakeClock) -> None:
    """Skipping Stable is allowed and records stable_at = closed_at."""
    inc = Incident("blip", clock=clock)
    clock.advance(minutes=2)
    inc.set_status("closed")
    assert inc.stable_at == inc.closed_at == clock.now


def test_milestones_out_of_order_are_refused(clock: FakeClock) -> None:
    """Mitigated before detected is an error naming both milestones."""
    inc = Incident("api down", clock=clock)
    clock.advance(minutes=10)
    inc.detected(at=T0 + timedelta(minutes=8))
    with pytest.raises(TransitionError, match="before detected"):
        inc.mitigated(at=T0 + timedelta(minutes=5))
    assert inc.milestones["mitigated"] is None and inc.status is Status.ACTIVE


def test_entries_in_the_future_are_refused(clock: FakeClock) -> None:
    """A timeline entry an hour ahead of the clock raises and is not recorded."""
    inc = Incident("api down", clock=clock)
    count = len(inc.timeline)
    with pytest.raises(IncidentError, match="in the future"):
        inc.note("later", at=T0 + timedelta(hours=1))
    assert len(inc.timeline) == count


def test_roles_keep_assumed_and_renounced_times_and_hand_offs(clock: FakeClock) -> None:
    """A new commander takes over: the old one is renounced at that moment; observers stack."""
    inc = Incident("api down", clock=clock)
    inc.assign(commander="ana", observers=["bo", "cy"])
    clock.advance(minutes=10)
    inc.assign(commander="li")
    assert inc.commander == "li"
    ana = next(r for r in inc.roles if r.person == "ana")
    assert ana.renounced_at == T0 + timedelta(minutes=10)
    assert inc.holders(Role.COMMANDER, at=T0 + timedelta(minutes=5)) == ["ana"]
    assert sorted(inc.holders("observer")) == ["bo", "cy"]
    assert any("handed to li" in e.description for e in inc.timeline)
    inc.renounce("bo")
    assert inc.holders("observer") == ["cy"]
    with pytest.raises(IncidentError, match="holds no"):
        inc.renounce("zed")


def test_tasks_and_action_items_have_owner_type_priority_and_due(clock: FakeClock) -> None:
    """Tasks default to due tomorrow, action items in a week; completing one marks it done."""
    inc = Incident("api down", clock=clock)
    task = inc.add_task("Restart api-2", owner="ana")
    item = inc.add_action_item(
        "Add an alert on replica lag", owner="li", type="prevent", priority="high"
    )
    assert task.due == (T0 + timedelta(days=1)).date() and not task.action_item
    assert item.due == (T0 + timedelta(days=7)).date() and item.type.value == "prevent"
    assert inc.complete(item.id).done
    with pytest.raises(IncidentError, match="known: T-1, AI-2"):
        inc.complete("AI-9")
    with pytest.raises(ConfigError, match="mitigate, prevent or process"):
        inc.add_action_item("Fix it", type="blame")


def test_bad_narrative_lesson_and_impact_fields_name_the_valid_ones(clock: FakeClock) -> None:
    """Typos in describe(), lesson() and set_impact() raise ConfigError listing the valid names."""
    inc = Incident("api down", clock=clock)
    with pytest.raises(ConfigError, match="root_causes"):
        inc.describe(rootcause="x")
    with pytest.raises(ConfigError, match="got_lucky"):
        inc.lesson("lucky", "x")
    with pytest.raises(ConfigError, match="requests_failed"):
        inc.set_impact(failed=3)
    with pytest.raises(ConfigError, match="title is empty"):
        Incident("  ")


def test_load_of_a_missing_folder_says_how_to_create_one(tmp_path: Path) -> None:
    """Loading a folder without a record names the commands that create one."""
    with pytest.raises(IncidentError, match="pulsekit incident new"):
        Incident.load(tmp_path)
