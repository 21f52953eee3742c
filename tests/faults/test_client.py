"""The Python fault API: context managers, apply/remove, shortcuts, records and their DataFrame."""

from __future__ import annotations

import pytest

from pulsekit import faults
from pulsekit.errors import FaultError
from pulsekit.faults import FaultRecord, Faults
from tests.faults.helpers import http_get

pytestmark = pytest.mark.integration


def test_latency_context_manager_applies_and_reverts(api, link, fault_proxy) -> None:
    """`with faults.latency(..., proxy=url)` adds the toxic inside the block and removes it after."""
    with faults.latency("web", ms=300, jitter_ms=50, ttl="2m", proxy=fault_proxy.url) as fault:
        toxics = api("GET", "/proxies/web/toxics")[1]
        assert toxics[0]["attributes"] == {"latency": 300, "jitter": 50}
        assert fault.active and fault.record.expires_at is not None
    assert api("GET", "/proxies/web/toxics")[1] == []
    assert fault.record.reverted_by == "api"


def test_plain_apply_and_remove_are_idempotent(api, link, fault_proxy) -> None:
    """apply() returns a Fault whose remove() can be called twice; a fault removed elsewhere is 'gone'."""
    shop_faults = Faults(fault_proxy.url)
    fault = shop_faults.apply("web", "bandwidth", rate=100)
    assert api("GET", "/proxies/web/toxics/bandwidth_downstream")[1]["attributes"] == {"rate": 100}
    fault.remove()
    assert fault.remove().reverted_by == "api"
    other = shop_faults.http_errors("web", status=503, rate=0.25)
    api("POST", "/reset")
    assert other.remove().reverted_by == "gone"


def test_down_refuses_traffic_until_removed(api, link, fault_proxy) -> None:
    """faults.down() takes a link down and brings it back up on exit."""
    with faults.down("web", proxy=fault_proxy.url):
        assert api("GET", "/proxies/web")[1]["enabled"] is False
    assert api("GET", "/proxies/web")[1]["enabled"] is True
    assert http_get(link[1])[0] == 200


def test_exception_inside_with_still_reverts(api, link, fault_proxy) -> None:
    """A fault is reverted when the block raises."""
    with pytest.raises(RuntimeError), faults.timeout("web", proxy=fault_proxy.url):
        raise RuntimeError("boom")
    assert api("GET", "/proxies/web/toxics")[1] == []


def test_unknown_link_lists_the_known_ones(link, fault_proxy) -> None:
    """A fault on an unknown link raises FaultError naming the links that exist."""
    with pytest.raises(FaultError, match="unknown link 'nope'.*web"):
        Faults(fault_proxy.url).latency("nope")


def test_bad_attribute_raises_fault_error(link, fault_proxy) -> None:
    """A negative attribute is refused with a FaultError that names it."""
    with pytest.raises(FaultError, match="latency.latency must not be negative"):
        Faults(fault_proxy.url).latency("web", ms=-1)


def test_records_and_frame(link, fault_proxy) -> None:
    """Every fault lands in the log as a frozen record; to_frame() has one row per fault."""
    shop_faults = Faults(fault_proxy.url)
    with shop_faults.latency("web", ms=10), shop_faults.packet_loss("web", rate=0.5):
        pass
    records = shop_faults.log.records
    assert [r.kind for r in records] == ["latency", "packet_loss"]
    assert all(isinstance(r, FaultRecord) and not r.active for r in records)
    with pytest.raises(AttributeError):
        records[0].kind = "x"  # type: ignore[misc]
    frame = shop_faults.log.to_frame()
    assert list(frame["kind"]) == ["latency", "packet_loss"]
    assert (frame["duration_s"] >= 0).all() and str(frame["applied_at"].dt.tz) == "UTC"
    assert shop_faults.log.summary() == "2 faults (1 latency, 1 packet_loss); 0 still active"


def test_history_comes_from_the_proxy(link, fault_proxy) -> None:
    """history() reads the proxy's own record, including who reverted each fault."""
    shop_faults = Faults(fault_proxy.url)
    shop_faults.latency("web", ms=5).remove()
    last = shop_faults.history().records[-1]
    assert (last.kind, last.target, last.reverted_by) == ("latency", "web", "api")


def test_connect_accepts_objects_with_proxy_url(fault_proxy) -> None:
    """faults.connect() takes a URL or any object with proxy_url (a Sandbox) or url (a FaultProxy)."""
    assert faults.connect(fault_proxy).url == fault_proxy.url
    assert faults.connect(fault_proxy.url).status()["halted"] is False


@pytest.mark.parametrize(
    ("call", "toxic", "expected"),
    [
        (
            lambda f: f.packet_loss("web", rate=0.3, correlation=0.2),
            "packet_loss_downstream",
            {"attributes": {"loss_rate": 0.3, "correlation": 0.2}, "toxicity": 1.0},
        ),
        (
            lambda f: f.http_errors("web", status=502, rate=0.25),
            "status_code_downstream",
            {"attributes": {"status_code": 502}, "toxicity": 0.25},
        ),
        (
            lambda f: f.latency("web", ms=120, jitter_ms=30),
            "latency_downstream",
            {"attributes": {"latency": 120, "jitter": 30}, "toxicity": 1.0},
        ),
        (
            lambda f: f.bandwidth("web", kbps=64),
            "bandwidth_downstream",
            {"attributes": {"rate": 64}, "toxicity": 1.0},
        ),
    ],
)
def test_shortcuts_pass_their_numbers_through_exactly(
    api, link, fault_proxy, call, toxic, expected
) -> None:
    """Each shortcut's rate, probability or size reaches the proxy unchanged (not just 0 or 1)."""
    fault = call(Faults(fault_proxy.url))
    try:
        body = api("GET", f"/proxies/web/toxics/{toxic}")[1]
        got = {k: v for k, v in body["attributes"].items() if k in expected["attributes"]}
        assert got == expected["attributes"]
        assert body["toxicity"] == pytest.approx(expected["toxicity"])
    finally:
        fault.remove()
