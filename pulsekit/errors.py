"""Every error pulsekit raises, in one tree under :class:`PulsekitError`.

::

    PulsekitError
    ├── ConfigError            bad input: a value, a field, a file (names the field and the fix)
    │   ├── DurationError      an unparsable duration such as "3 minutes"
    │   └── SpecError          a GameDay spec that cannot run (names the key and the fix)
    │       └── TargetError    a staging target fails its check before the run (nothing started)
    ├── NotAllowedError        a host that is not on the allow-list
    ├── MissingDependencyError a system part (chromium, prometheus) or extra that is not installed
    ├── SandboxError           the demo platform failed to start, stop or act
    │   ├── ServiceStartError  one service did not become healthy (carries its log tail)
    │   └── PostgresNotFoundError  no PostgreSQL 13+ server (or no user to run it as) for db="postgres"
    ├── FaultError             a fault could not be applied or removed
    │   └── HaltedError        faults are halted; release the halt first
    ├── LoadError              a load run could not start or run
    ├── ProfileError           a profiler could not attach to or read a process
    ├── ObserveError           scraping, Prometheus, SLO evaluation
    │   ├── QueryError         Prometheus rejected a query (carries its message)
    │   ├── ExpositionError    a /metrics text that does not parse
    │   └── MetricNotFoundError  a metric name absent from the source (lists the known ones)
    ├── CostError              billing data could not be loaded or queried
    │   └── SchemaError        a billing file misses columns or has wrong types
    ├── VitalsError            a page could not be measured
    │   └── BrowserNotFoundError  no Chromium to drive
    ├── GameDayError           a GameDay run failed (its steps were rolled back)
    └── IncidentError          incident records, timelines, postmortems
        ├── TransitionError    a status change out of order
        └── SlackPayloadError  a Slack payload breaks a Block Kit limit
"""

from __future__ import annotations


class PulsekitError(Exception):
    """Base class of every error pulsekit raises on purpose."""


class ConfigError(PulsekitError, ValueError):
    """A value given to pulsekit is invalid; the message names the field and the fix."""


class DurationError(ConfigError):
    """A duration string could not be parsed."""


class SpecError(ConfigError):
    """A GameDay spec is invalid; the message names the file, the key and the fix."""


class TargetError(SpecError):
    """A staging target's URL, Toxiproxy, Prometheus or link fails its check; nothing was started."""


class NotAllowedError(PulsekitError):
    """A target host is not loopback and not on the allow-list."""


class MissingDependencyError(PulsekitError):
    """A system part or optional package is missing; the message names the install command."""


class SandboxError(PulsekitError):
    """The local demo platform failed to start, stop or act on a service."""


class ServiceStartError(SandboxError):
    """A sandbox service did not become healthy in time."""


class PostgresNotFoundError(SandboxError, MissingDependencyError):
    """No usable PostgreSQL server for the sandbox's database tier; the message says how to install it."""


class FaultError(PulsekitError):
    """A fault could not be applied, updated or removed."""


class HaltedError(FaultError):
    """Faults are halted: every fault was reverted and new ones are refused until released."""


class LoadError(PulsekitError):
    """A load run could not start or failed while running."""


class ProfileError(PulsekitError):
    """A profiler could not attach to a process or read what it recorded."""


class ObserveError(PulsekitError):
    """Scraping metrics, querying Prometheus or evaluating an SLO failed."""


class QueryError(ObserveError):
    """Prometheus rejected a query; the message carries Prometheus's own error."""


class ExpositionError(ObserveError):
    """A /metrics response is not valid Prometheus exposition text."""


class MetricNotFoundError(ObserveError):
    """A metric name is absent from the scraped samples or from Prometheus."""


class CostError(PulsekitError):
    """Billing data could not be loaded or queried."""


class SchemaError(CostError):
    """A billing file misses mandatory columns or has columns of the wrong type."""


class VitalsError(PulsekitError):
    """A page could not be measured."""


class BrowserNotFoundError(VitalsError, MissingDependencyError):
    """No Chromium binary was found to drive."""


class GameDayError(PulsekitError):
    """A GameDay run failed; every step it applied was rolled back."""


class IncidentError(PulsekitError):
    """An incident record, timeline or postmortem could not be read, changed or written."""


class TransitionError(IncidentError):
    """An incident status change out of order (for example Closed back to Active)."""


class SlackPayloadError(IncidentError):
    """A Slack payload breaks a Block Kit limit (the message lists every violation)."""
