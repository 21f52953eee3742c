"""Safety by construction: TTLs enforced by the proxy (dead-man switch), SIGTERM revert, halt-all."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from pulsekit.errors import FaultError, HaltedError
from pulsekit.faults import Faults
from tests.faults.helpers import wait_for

pytestmark = pytest.mark.integration

_CONTROLLER = """
import sys, time
from pulsekit.faults import Faults
Faults(sys.argv[1]).latency("web", ms=50, ttl=sys.argv[2])
print("applied", flush=True)
time.sleep(600)
"""


def _controller(url: str, ttl: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _CONTROLLER, url, ttl], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "applied"
    return proc


def _history(api) -> list[dict]:
    return api("GET", "/pulsekit/history")[1]


def test_ttl_expiry_reverts_the_toxic_and_records_it(api, link) -> None:
    """A toxic whose TTL expires is removed by the proxy itself and recorded as reverted by ttl."""
    status, _ = api(
        "POST", "/proxies/web/toxics", {"type": "latency"}, headers={"X-Pulsekit-Ttl": "0.3s"}
    )
    assert status == 200
    wait_for(lambda: api("GET", "/proxies/web/toxics")[1] == [], what="TTL expiry")
    assert _history(api)[-1]["reverted_by"] == "ttl"


def test_ttl_above_the_maximum_is_refused(api, link) -> None:
    """A TTL above the server's maximum answers 400 and applies nothing."""
    status, body = api("POST", "/proxies/web/toxics", {"type": "latency", "pulsekit_ttl": "2h"})
    assert status == 400 and "maximum" in body["error"]
    assert api("GET", "/proxies/web/toxics") == (200, [])


def test_down_link_comes_back_at_its_ttl(api, link) -> None:
    """A link taken down with a TTL is re-enabled by the proxy when the TTL expires."""
    api("POST", "/proxies/web", {"enabled": False, "pulsekit_ttl": 0.3})
    wait_for(lambda: api("GET", "/proxies/web")[1]["enabled"], what="link re-enabled")
    assert _history(api)[-1]["kind"] == "down" and _history(api)[-1]["reverted_by"] == "ttl"


def test_fault_is_reverted_when_the_controller_is_sigkilled(api, link, fault_proxy) -> None:
    """The proxy reverts a fault at its TTL even though the process that applied it was SIGKILLed."""
    proc = _controller(fault_proxy.url, "1s")
    try:
        assert len(api("GET", "/proxies/web/toxics")[1]) == 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        wait_for(lambda: api("GET", "/proxies/web/toxics")[1] == [], what="dead-man revert")
        assert _history(api)[-1]["reverted_by"] == "ttl"
    finally:
        proc.kill()
        proc.wait()


def test_fault_is_reverted_when_the_controller_gets_sigterm(api, link, fault_proxy) -> None:
    """SIGTERM to a controller reverts its faults at once (long before their TTL)."""
    proc = _controller(fault_proxy.url, "10m")
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(20)
        assert api("GET", "/proxies/web/toxics")[1] == []
        assert _history(api)[-1]["reverted_by"] == "api"
    finally:
        proc.kill()
        proc.wait()


def test_halt_reverts_everything_and_refuses_new_faults_until_release(
    api, link, fault_proxy
) -> None:
    """Halt removes every fault and re-enables links; new faults get 423 until release."""
    faults = Faults(fault_proxy.url)
    faults.latency("web", ms=10)
    status = faults.halt()
    assert status["halted"] is True and status["active"] == []
    assert api("GET", "/proxies/web/toxics")[1] == []
    with pytest.raises(HaltedError, match="release"):
        faults.latency("web", ms=10)
    with pytest.raises(HaltedError):
        faults.down("web")
    assert api("POST", "/proxies/web/toxics", {"type": "latency"})[0] == 423
    faults.release()
    with faults.latency("web", ms=10) as fault:
        assert fault.active
    assert not fault.active


def test_client_refuses_a_non_loopback_proxy() -> None:
    """The Python client refuses a non-loopback proxy URL unless it is allow-listed."""
    from pulsekit.errors import NotAllowedError

    with pytest.raises(NotAllowedError, match="allow"):
        Faults("http://10.9.8.7:8474")


def test_unreachable_proxy_says_how_to_start_one() -> None:
    """Calling a proxy that is not running raises FaultError naming `pulsekit faults serve`."""
    from pulsekit._util import free_port

    with pytest.raises(FaultError, match="pulsekit faults serve"):
        Faults(f"http://127.0.0.1:{free_port()}").status()
