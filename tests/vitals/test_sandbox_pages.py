"""The sandbox pages' regression switches (?regress=lcp,cls,inp) move the vitals they are meant to."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from pulsekit.vitals import collect_many

pytestmark = pytest.mark.integration


def test_each_regression_moves_its_vital(chromium: str, shop: object) -> None:
    """Healthy home page is stable; lcp delays LCP past 4 s, cls shifts the layout, inp blocks clicks."""
    base = shop.url + "/"  # type: ignore[attr-defined]
    healthy, lcp, cls, inp = collect_many(
        [base, base + "?regress=lcp", base + "?regress=cls", base + "?regress=inp"],
        runs=1,
        profile="none",
        interactions=["#more"],
        parallel=4,
        chromium=chromium,
    )
    assert healthy.p75["CLS"] == 0
    assert (
        healthy.p75["INP"] is not None and healthy.p75["INP"] < 350
    )  # loose: the machine is shared
    assert lcp.runs[0].lcp_element == "img#slow-hero"
    assert lcp.p75["LCP"] is not None and lcp.p75["LCP"] >= 4000  # the image is sent 4 s late
    assert lcp.p75["CLS"] is not None and lcp.p75["CLS"] > 0.05  # unsized: it pushes the page down
    assert cls.p75["CLS"] is not None and cls.p75["CLS"] > 0.05
    assert cls.p75["LCP"] is not None and cls.p75["LCP"] < 4000
    assert (
        inp.p75["INP"] is not None and inp.p75["INP"] >= 700
    )  # the click handler busy-waits 700 ms
    assert inp.p75["TBT"] is not None and inp.p75["TBT"] >= 650


def test_slow_hero_rejects_a_bad_delay(shop: object) -> None:
    """The slow hero route answers 400 to a delay that is not a number."""
    url = shop.url + "/static/slow/hero.svg?delay_ms=soon"  # type: ignore[attr-defined]
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(url, timeout=10)
    assert info.value.code == 400
    ok = urllib.request.urlopen(url.replace("soon", "0"), timeout=10)
    assert ok.headers["Content-Type"].startswith("image/svg+xml")
    assert len(ok.read()) > 20_000  # detailed enough to count as an LCP candidate
