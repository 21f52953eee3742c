"""Run Debian's ``prometheus`` on loopback, scraping given targets, with its own temp storage."""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from pulsekit._util import atomic_write, find_executable, free_port, parse_duration
from pulsekit.errors import ConfigError, MissingDependencyError, ObserveError
from pulsekit.observe._http import get_status

INSTALL = "sudo apt-get install --no-install-recommends prometheus"


def find_prometheus(binary: str | None = None) -> str:
    """Path of the prometheus binary: ``binary``, ``PULSEKIT_PROMETHEUS``, PATH, /usr/bin."""
    for candidate in (binary, os.environ.get("PULSEKIT_PROMETHEUS")):
        if candidate:
            if Path(candidate).is_file() and os.access(candidate, os.X_OK):
                return str(candidate)
            raise MissingDependencyError(
                f"prometheus binary {candidate!r} (from binary= or PULSEKIT_PROMETHEUS) is not an "
                f"executable file; fix the path or install it with: {INSTALL}"
            )
    found = find_executable("prometheus")
    if not found:
        raise MissingDependencyError(
            "prometheus is not installed (looked at PULSEKIT_PROMETHEUS, PATH and "
            f"/usr/bin/prometheus); install it with: {INSTALL}"
        )
    return found


def render_config(
    targets: Mapping[str, str], *, scrape_interval: float, rule_files: Sequence[str] = ()
) -> str:
    """prometheus.yml text: one job per target (job label = target name)."""
    import yaml

    interval = f"{scrape_interval:g}s"
    jobs = []
    for name, url in targets.items():
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"target {name!r}: {url!r} is not an http(s) URL")
        jobs.append(
            {
                "job_name": name,
                "scheme": parts.scheme,
                "metrics_path": parts.path or "/metrics",
                "scrape_interval": interval,
                "scrape_timeout": interval,
                "static_configs": [{"targets": [parts.netloc]}],
            }
        )
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "scrape_configs": jobs,
    }
    return str(yaml.safe_dump(config, sort_keys=False))


class PrometheusServer:
    """A real Prometheus on 127.0.0.1 (ephemeral port) scraping ``targets`` every interval.

    >>> with PrometheusServer(shop.metrics_targets, scrape_interval="1s") as prom:  # doctest: +SKIP
    ...     Prometheus(prom.url).query("up")
    """

    def __init__(
        self,
        targets: Mapping[str, str],
        *,
        scrape_interval: str | float = "1s",
        run_dir: str | os.PathLike[str] | None = None,
        binary: str | None = None,
        rule_files: Sequence[str | os.PathLike[str]] = (),
        ready_timeout: float = 60.0,
        retention: str = "1d",
    ) -> None:
        if not targets:
            raise ConfigError("targets is empty; pass a dict name -> http://127.0.0.1:PORT/metrics")
        self.targets = dict(targets)
        self.scrape_interval = parse_duration(scrape_interval, field="scrape_interval")
        if self.scrape_interval <= 0:
            raise ConfigError(f"scrape_interval={scrape_interval!r} must be positive")
        self.binary = binary
        self.rule_files = [str(Path(p).resolve()) for p in rule_files]
        self.ready_timeout = ready_timeout
        self.retention = retention
        self._run_dir_arg = Path(run_dir) if run_dir is not None else None
        self._temp: tempfile.TemporaryDirectory[str] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self.port: int | None = None
        self.dir: Path | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (only while running)."""
        if self.port is None:
            raise ObserveError("PrometheusServer is not started; call .start() or use `with`")
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id while running."""
        return self._process.pid if self._process is not None else None

    @property
    def log_path(self) -> Path | None:
        """Where prometheus writes its log."""
        return self.dir / "prometheus.log" if self.dir is not None else None

    def _log_tail(self, lines: int = 15) -> str:
        path = self.log_path
        if path is None or not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def start(self) -> PrometheusServer:
        """Start and wait until ``/-/ready`` answers 200; returns self."""
        if self._process is not None:
            return self
        binary = find_prometheus(self.binary)
        if self._run_dir_arg is not None:
            self.dir = self._run_dir_arg / "prometheus"
            self.dir.mkdir(parents=True, exist_ok=True)
        else:
            self._temp = tempfile.TemporaryDirectory(prefix="pulsekit-prometheus-")
            self.dir = Path(self._temp.name)
        config = self.dir / "prometheus.yml"
        atomic_write(
            config,
            render_config(
                self.targets, scrape_interval=self.scrape_interval, rule_files=self.rule_files
            ),
        )
        for attempt in range(3):  # the free port can be taken between probe and bind: retry
            self.port = free_port()
            if self._spawn(binary, config):
                return self
            if "address already in use" not in self._log_tail().lower() or attempt == 2:
                break
        tail = self._log_tail()
        self.stop()
        raise ObserveError(
            f"prometheus did not become ready within {self.ready_timeout:g}s; last log lines:\n{tail}"
        )

    def _spawn(self, binary: str, config: Path) -> bool:
        assert self.dir is not None and self.log_path is not None
        args = [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={self.dir / 'data'}",
            f"--storage.tsdb.retention.time={self.retention}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            "--web.enable-lifecycle",
            "--log.level=warn",
        ]
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                args,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False
            if get_status(f"{self.url}/-/ready", timeout=1.0) == 200:
                return True
            time.sleep(0.1)
        self._terminate()
        return False

    def reload(self) -> None:
        """Re-read the config and rule files (SIGHUP)."""
        if self._process is None:
            raise ObserveError("PrometheusServer is not running")
        self._process.send_signal(signal.SIGHUP)

    def _terminate(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)

    def stop(self) -> None:
        """Stop the process and delete its temp storage (a given ``run_dir`` is kept)."""
        self._terminate()
        if self._temp is not None:
            self._temp.cleanup()
            self._temp = None
        self.port = None

    def __enter__(self) -> PrometheusServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f"at {self.url}" if self.port is not None else "stopped"
        return f"<PrometheusServer {len(self.targets)} targets {where}>"
