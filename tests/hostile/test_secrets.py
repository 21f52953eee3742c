"""Secrets stay secret: a Slack webhook in no error, load-target credentials in no output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from pulsekit.errors import IncidentError, PulsekitError
from pulsekit.incidents import Incident
from pulsekit.incidents.slack import WebhookTransport, post, tactical_update
from tests.hostile.conftest import pulsekit, wait_for
from tests.load.conftest import Target, start_target

SECRET = "XXXXSECRETXXXX"


@pytest.mark.parametrize(
    "hook",
    [
        f"https://hooks.slack.com/services/T000/B000/{SECRET} x",  # pasted with a word after it
        f"https://hooks.slack.com/services/T000/B000/{SECRET}\r\nX-Injected: 1",
        f"https://hooks.slack.com/services/T000/B000/\t{SECRET}",
        f"https://hooks.slack.com:44x/services/T000/B000/{SECRET}",  # a bad port
        f"https://[hooks.slack.com/services/T000/B000/{SECRET}",  # a bad host
    ],
)
def test_a_malformed_webhook_url_never_reaches_an_error(hook: str) -> None:
    """Whatever the webhook value holds, the failure is an IncidentError without the secret."""
    payload = tactical_update(Incident("x"), conditions="c", actions=["a"])
    with pytest.raises(IncidentError) as info:
        post(payload, transport=WebhookTransport(hook))
    shown = "".join(traceback.format_exception(info.value))
    assert SECRET not in shown
    assert SECRET not in repr(info.value)


def test_redact_url_hides_passwords_only() -> None:
    """http://user:password@host shows as http://user:***@host; other URLs are unchanged."""
    from pulsekit._util import redact_url

    assert (
        redact_url("http://bob:S3CRET@127.0.0.1:8080/a?b=1")
        == "http://bob:***@127.0.0.1:8080/a?b=1"
    )
    assert redact_url("https://tok@h/p") == "https://tok:***@h/p"
    assert redact_url("http://127.0.0.1:8080/x@y") == "http://127.0.0.1:8080/x@y"


@pytest.fixture(scope="module")
def load_target() -> Iterator[Target]:
    server = start_target()
    yield server
    server.proc.kill()
    server.proc.wait(timeout=10)


def test_load_target_credentials_are_redacted_in_summary_json_and_errors(
    load_target: Target, tmp_path: Path
) -> None:
    """`load run` with user:password in the URL never prints or writes the password."""
    port = load_target.url.rsplit(":", 1)[1]
    out = tmp_path / "lrs.json"
    result = pulsekit(
        "load", "run", f"http://bob:S3CRETPW@127.0.0.1:{port}", "--rate", "5",
        "--duration", "1s", "--json", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "S3CRETPW" not in result.stdout + result.stderr
    assert f"http://bob:***@127.0.0.1:{port}" in result.stdout
    document = json.loads(out.read_text())
    assert document["url"] == f"http://bob:***@127.0.0.1:{port}"
    assert "S3CRETPW" not in out.read_text()
    refused = pulsekit("load", "run", "http://bob:S3CRETPW@10.0.0.1:80/", "--duration", "1s",
                       "--rate", "1")  # fmt: skip
    assert refused.returncode == 1 and "S3CRETPW" not in refused.stdout + refused.stderr
    with pytest.raises(PulsekitError) as info:
        from pulsekit.load import run

        run("http://bob:S3CRETPW@127.0.0.1:1/", rate=1, duration="1s")
    assert "S3CRETPW" not in str(info.value)


def test_sigterm_of_load_run_writes_the_partial_result_and_removes_its_temp_folder(
    load_target: Target, tmp_path: Path
) -> None:
    """SIGTERM ends `load run` like Ctrl-C: partial JSON written, temp folder gone, exit 143."""
    out = tmp_path / "partial.json"
    temp = tmp_path / "tmp"
    temp.mkdir()
    before = load_target.served()
    proc = subprocess.Popen(
        [sys.executable, "-m", "pulsekit", "load", "run", load_target.url, "--rate", "20",
         "--duration", "60s", "--json", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TMPDIR": str(temp)},
    )  # fmt: skip
    try:
        wait_for(lambda: load_target.served() > before + 5, 60, "requests to arrive")
        assert list(temp.glob("pulsekit-load-*")), "the run keeps its config in a temp folder"
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 143, stderr
    assert json.loads(out.read_text())["status"] == "interrupted"
    assert "interrupted" in stdout
    assert not list(temp.glob("pulsekit-load-*"))
