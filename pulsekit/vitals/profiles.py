"""Throttling profiles as data (Lighthouse's mobile Slow 4G + 4x CPU, desktop, none), applied over CDP."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pulsekit.errors import ConfigError


@dataclass(frozen=True)
class ThrottleProfile:
    """Network and CPU emulation plus the viewport a page is measured with.

    ``latency_ms`` and the throughputs are request-level (DevTools) values, i.e. Lighthouse's packet-level
    figures already multiplied by its adjustment factors (RTT x 3.75, throughput x 0.9).
    """

    name: str
    latency_ms: float = 0.0
    download_kbps: float = 0.0
    upload_kbps: float = 0.0
    cpu_slowdown: float = 1.0
    width: int = 1350
    height: int = 940
    device_scale_factor: float = 1.0
    mobile: bool = False
    scoring: str = "desktop"

    @property
    def throttles_network(self) -> bool:
        """True when the profile emulates latency or bandwidth (then TTFB excludes that latency)."""
        return self.latency_ms > 0 or self.download_kbps > 0 or self.upload_kbps > 0

    def network_conditions(self) -> dict[str, Any]:
        """Parameters of CDP ``Network.emulateNetworkConditions`` (throughputs in bytes per second)."""
        return {
            "offline": False,
            "latency": self.latency_ms,
            "downloadThroughput": int(self.download_kbps * 1024 / 8),
            "uploadThroughput": int(self.upload_kbps * 1024 / 8),
        }


#: Lighthouse ``mobileSlow4G`` (150 ms RTT, 1.6 Mbps) at request level, 4x CPU, moto g power screen.
MOBILE = ThrottleProfile(
    name="mobile",
    latency_ms=150 * 3.75,
    download_kbps=1.6 * 1024 * 0.9,
    upload_kbps=750 * 0.9,
    cpu_slowdown=4.0,
    width=412,
    height=823,
    device_scale_factor=1.75,
    mobile=True,
    scoring="mobile",
)
#: Lighthouse ``desktopDense4G`` (40 ms RTT, 10 Mbps, no CPU slowdown), 1350x940 screen.
DESKTOP = ThrottleProfile(name="desktop", latency_ms=40, download_kbps=10240, upload_kbps=10240)
#: No emulation at all: what the machine and network give, desktop screen and desktop scoring curves.
NONE = ThrottleProfile(name="none")

PROFILES: Mapping[str, ThrottleProfile] = {p.name: p for p in (MOBILE, DESKTOP, NONE)}


def get_profile(profile: str | ThrottleProfile) -> ThrottleProfile:
    """The profile called ``profile`` (or ``profile`` itself), else a :class:`ConfigError`."""
    if isinstance(profile, ThrottleProfile):
        return profile
    try:
        return PROFILES[str(profile).strip().lower()]
    except KeyError:
        raise ConfigError(
            f"profile={profile!r} is unknown; use one of {', '.join(PROFILES)} "
            "or pass a pulsekit.vitals.ThrottleProfile(...)"
        ) from None
