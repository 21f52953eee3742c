"""The exercise checks: each says missing, wrong (with a reason, never the answer) or right."""

from __future__ import annotations

import pandas as pd
import pytest

from pulsekit import dojo
from pulsekit.dojo import Check
from pulsekit.observe import SLO, availability, latency


def _status(check: Check) -> str:
    assert isinstance(check, Check)
    assert str(check).startswith(check.exercise + ": ")
    return check.status


class TestCheckResult:
    def test_only_right_is_truthy(self) -> None:
        """A check is truthy only when the answer is right, and prints one line."""
        assert dojo.check_burn_rate(13.44)
        assert not dojo.check_burn_rate(14.4)
        assert not dojo.check_burn_rate(None)
        assert "\n" not in str(dojo.check_burn_rate(None))


class TestObservability:
    def test_burn_rate(self) -> None:
        """The 28-day threshold is right; the 30-day one and unit mix-ups get their own reason."""
        assert _status(dojo.check_burn_rate(None)) == "missing"
        assert _status(dojo.check_burn_rate(0.02 * 28 * 24)) == "right"
        assert "30-day" in str(dojo.check_burn_rate(14.4))
        assert "units" in str(dojo.check_burn_rate(0.02 * 28))

    def test_wrong_burn_rate_does_not_reveal_the_answer(self) -> None:
        """A wrong answer's message never contains the right number."""
        assert "13.4" not in str(dojo.check_burn_rate(20))

    def test_dashboard_slo(self) -> None:
        """Only a latency SLO on the dashboard route at the api replicas with 500 ms passes."""
        route = "/api/vendors/{id}/dashboard"
        good = SLO(objective=0.99, sli=latency("api-.*", threshold="500ms", route=route))
        assert _status(dojo.check_dashboard_slo(good)) == "right"
        assert _status(dojo.check_dashboard_slo(None)) == "missing"
        gateway = SLO(objective=0.99, sli=latency("gateway", threshold="500ms", route=route))
        assert "api replicas" in str(dojo.check_dashboard_slo(gateway))
        assert "route" in str(
            dojo.check_dashboard_slo(SLO(objective=0.99, sli=latency("api-.*", threshold="500ms")))
        )
        assert "latency" in str(
            dojo.check_dashboard_slo(SLO(objective=0.99, sli=availability("api-.*")))
        )
        slower = SLO(objective=0.99, sli=latency("api-.*", threshold="250ms", route=route))
        assert _status(dojo.check_dashboard_slo(slower)) == "wrong"

    def test_rules_file_missing_file(self, tmp_path) -> None:
        """A path that does not exist is wrong, with the path in the reason."""
        check = dojo.check_rules_file(tmp_path / "nope.yml")
        assert check.status == "wrong" and "nope.yml" in check.why


class TestLoadTesting:
    def test_models(self) -> None:
        """Launch traffic is open, back-office staff closed; swapping them is wrong."""
        q_open = "Can the checkout API take launch-day traffic arriving at 300 requests/s?"
        q_closed = (
            "How do 50 back-office staff experience the dashboard, each clicking every few seconds?"
        )
        assert _status(dojo.check_models({q_open: None, q_closed: None})) == "missing"
        assert _status(dojo.check_models({q_open: "open", q_closed: "closed"})) == "right"
        assert _status(dojo.check_models({q_open: "closed", q_closed: "open"})) == "wrong"

    def test_vendor_gate(self) -> None:
        """The gate needs the route tag, p95<300, abortOnFail and the failure-rate threshold."""
        lat = "http_req_duration{name:/api/vendors/{id}/dashboard}: p(95)<500 abortOnFail delayAbortEval=2s"
        assert _status(dojo.check_vendor_gate([])) == "missing"
        assert _status(dojo.check_vendor_gate([lat, "http_req_failed: rate<0.01"])) == "right"
        assert "failure-rate" in str(dojo.check_vendor_gate([lat]))
        assert "stop early" in str(
            dojo.check_vendor_gate([lat.split(" abort")[0], "http_req_failed: rate<0.01"])
        ).replace("stops early", "stop early").replace("does not stop early", "stop early")
        assert "parse" in str(dojo.check_vendor_gate(["nonsense"]))

    def test_omission(self) -> None:
        """Ten users, 200 arrivals and 5 % are right; a wrong part is named."""
        assert _status(dojo.check_omission(None, None, None)) == "missing"
        assert _status(dojo.check_omission(10, 200, 0.05)) == "right"
        assert "(a) open" in str(dojo.check_omission(10, 100, 0.05))


class TestChaos:
    def test_hypothesis(self) -> None:
        """A hypothesis names a scenario SLO, a burn limit and a prediction."""
        names = ["gateway-latency"]
        assert _status(dojo.check_hypothesis({}, slo_names=names)) == "missing"
        good = {"slo": "gateway-latency", "max_burn": 14.4, "predict": "fails"}
        assert _status(dojo.check_hypothesis(good, slo_names=names)) == "right"
        assert "slo" in str(dojo.check_hypothesis({**good, "slo": "x"}, slo_names=names))
        assert _status(dojo.check_hypothesis({**good, "predict": "?"}, slo_names=names)) == "wrong"


class TestIncidents:
    def test_handoff(self) -> None:
        """Two commanders in a row are right; one is not yet."""
        from pulsekit.incidents import Incident

        assert _status(dojo.check_handoff(None)) == "missing"
        inc = Incident("x", severity="SEV2")
        inc.assign(commander="ana")
        assert _status(dojo.check_handoff(inc)) == "wrong"
        inc.assign(commander="li")
        assert _status(dojo.check_handoff(inc)) == "right"

    def test_blameless(self) -> None:
        """Blame is wrong; a neutral sentence with a verb-first action item is right."""
        assert _status(dojo.check_blameless("")) == "missing"
        assert _status(dojo.check_blameless("It was human error.")) == "wrong"
        ok = "Nothing paged when api-2 left the rotation.\n\n## Action items\n\n- Add a page\n"
        assert _status(dojo.check_blameless(ok)) == "right"

    def test_update(self) -> None:
        """A short update is not yet the exercise; one clipped from 5000 characters is."""
        from pulsekit.incidents import Incident, tactical_update

        inc = Incident("x", severity="SEV3")
        assert _status(dojo.check_update(None)) == "missing"
        short = tactical_update(inc, conditions="c", actions=["a"], needs=None)
        assert _status(dojo.check_update(short)) == "wrong"
        long = tactical_update(inc, conditions="x" * 5000, actions=["a"], needs=None)
        assert _status(dojo.check_update(long)) == "right"

    def test_slowest_severity(self) -> None:
        """The severity with the longest median wins even when another has the longest mean."""
        t0 = pd.Timestamp("2026-01-01T10:00Z")
        history = pd.DataFrame(
            {
                "severity": ["SEV1", "SEV1", "SEV1", "SEV2"],
                "detected": [t0] * 4,
                "mitigated": [t0 + pd.Timedelta(minutes=m) for m in (10, 10, 300, 60)],
            }
        )
        assert _status(dojo.check_slowest_severity("SEV2", history)) == "right"
        assert _status(dojo.check_slowest_severity("SEV1", history)) == "wrong"
        assert _status(dojo.check_slowest_severity("SEV9", history)) == "wrong"


class TestFinops:
    @pytest.fixture(scope="class")
    def costs(self):
        import pulsekit.costs as pc

        handle = pc.open()
        yield handle
        handle.close()

    def test_nat_zone(self, costs) -> None:
        """The spiking NAT gateway's zone (found by query) is right; another zone is not."""
        assert _status(dojo.check_nat_zone(None, costs)) == "missing"
        assert _status(dojo.check_nat_zone("us-east-1b", costs)) == "right"
        assert _status(dojo.check_nat_zone("us-east-1c", costs)) == "wrong"

    def test_unit_cost(self, costs) -> None:
        """November 2025 and web are right; another month is named as wrong."""
        assert _status(dojo.check_unit_cost("2025-11", "web", costs)) == "right"
        assert "month" in str(dojo.check_unit_cost("2025-05", "web", costs))

    def test_gp3_and_step(self) -> None:
        """The matched gp3 price and 'step' are right; storage-only gets its own reason."""
        assert _status(dojo.check_gp3(370)) == "right"
        assert "storage only" in str(dojo.check_gp3(320))
        assert _status(dojo.check_step_or_spike("step")) == "right"
        assert _status(dojo.check_step_or_spike("spike")) == "wrong"


class TestWeb:
    class _Result:
        def __init__(self, **ratings: str) -> None:
            self.ratings = ratings

    def test_moved(self) -> None:
        """The sets must match each result's ratings; a wrong one is named without its answer."""
        broken = {
            "lcp": self._Result(LCP="poor", CLS="needs-improvement", INP="good"),
            "inp": self._Result(LCP="good", CLS="good", INP="poor"),
        }
        assert _status(dojo.check_moved({}, broken)) == "missing"
        assert _status(dojo.check_moved({"lcp": {"LCP", "CLS"}, "inp": {"INP"}}, broken)) == "right"
        check = dojo.check_moved({"lcp": {"LCP"}, "inp": {"INP"}}, broken)
        assert check.status == "wrong" and "lcp" in check.why and "CLS" not in check.why


@pytest.mark.integration
def test_rules_file_with_promtool(tmp_path, require_binary) -> None:
    """An SLO's exported rules pass promtool and the check; a non-SLO rules file does not."""
    require_binary("promtool", install="sudo apt-get install prometheus")
    rules = tmp_path / "rules.yml"
    rules.write_text(SLO(objective=0.999).to_prometheus_rules())
    assert dojo.check_rules_file(rules).status == "right"
    rules.write_text("groups: []\n")
    assert dojo.check_rules_file(rules).status == "wrong"


def test_phone_inp_without_a_browser() -> None:
    """The phone check wants the product page, the mobile profile and a poor-enough INP."""

    class _R:
        def __init__(self, url: str, profile: str, inp: float | None, rating: str | None) -> None:
            self.url, self.profile = url, profile
            self.p75 = {"INP": inp}
            self.ratings = {"INP": rating}

    url = "http://127.0.0.1:1/products/42?regress=inp"
    assert dojo.check_phone_inp(None).status == "missing"
    assert dojo.check_phone_inp(_R(url, "mobile", 720.0, "poor")).status == "right"
    assert "mobile" in dojo.check_phone_inp(_R(url, "desktop", 720.0, "poor")).why
    assert "click" in dojo.check_phone_inp(_R(url, "mobile", None, None)).why
    assert dojo.check_phone_inp(_R(url.split("?")[0], "mobile", 720.0, "poor")).status == "wrong"
