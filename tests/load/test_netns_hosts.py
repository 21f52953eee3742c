"""The namespace hosts helper: hosts reach each other on the bridge, and everything is removed
afterwards, also when the test body fails."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pulsekit.testing._netns import NetnsHosts
from tests.conftest import require_netns

LISTEN = "import socket,sys; s=socket.create_server((sys.argv[1], 9000)); print('up', flush=True); "
LISTEN += "c, a = s.accept(); c.sendall(a[0].encode()); c.close()"
CONNECT = (
    "import socket,sys; print(socket.create_connection((sys.argv[1], 9000), 5).recv(64).decode())"
)


def _ip(*args: str) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=15).stdout


def test_hosts_talk_on_the_bridge_and_vanish_even_after_a_failure() -> None:
    require_netns()
    with (
        pytest.raises(RuntimeError, match="the test body failed"),
        NetnsHosts(["a", "b"]) as hosts,
    ):
        made = hosts
        a, b = hosts["a"], hosts["b"]
        assert a.address.startswith("10.213.") and a.address != b.address
        server = a.popen([sys.executable, "-c", LISTEN, a.address], stdout=subprocess.PIPE)
        assert server.stdout is not None and server.stdout.readline().strip() == b"up"
        sleeper = b.popen(["sleep", "60"])
        seen = b.run([sys.executable, "-c", CONNECT, a.address], timeout=30)
        assert seen.stdout.strip() == b.address  # a saw b's own address: real hosts
        raise RuntimeError("the test body failed")
    assert sleeper.poll() is not None  # stopped by close()
    assert f"pulsekit-{made.token}-" not in _ip("netns", "list")
    assert made.bridge not in _ip("link", "show")
    assert f"10.213.{made.subnet}." not in _ip("-4", "-o", "addr", "show")
