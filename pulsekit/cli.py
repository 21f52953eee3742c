"""The ``pulsekit`` command: one lazy group per practice, each defined beside its package.

Each subcommand lives in ``pulsekit/<practice>/_cli.py`` and is imported only when used, so
``pulsekit sandbox status`` never pays for importing locust, duckdb or playwright.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from pulsekit import __version__
from pulsekit.errors import PulsekitError

# name -> "module:attribute" of a click command or group
COMMANDS: dict[str, str] = {
    "doctor": "pulsekit.setup_check:doctor",
    "sandbox": "pulsekit.sandbox._cli:sandbox",
    "faults": "pulsekit.faults._cli:faults",
    "load": "pulsekit.load._cli:load",
    "observe": "pulsekit.observe._cli:observe",
    "costs": "pulsekit.costs._cli:costs",
    "vitals": "pulsekit.vitals._cli:vitals",
    "profile": "pulsekit.profile._cli:profile",
    "incident": "pulsekit.incidents._cli:incident",
    "postmortem": "pulsekit.incidents._cli:postmortem",
    "gameday": "pulsekit.gameday._cli:gameday",
}


class _LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if self._load(name) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(name: str) -> click.Command | None:
        spec = COMMANDS.get(name)
        if spec is None:
            return None
        module_name, attr = spec.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.startswith("pulsekit"):
                return None  # that practice is not part of this build
            raise
        command = getattr(module, attr, None)
        return command if isinstance(command, click.Command) else None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PulsekitError as exc:
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:
            # every command: Ctrl-C exits 130 (128 + SIGINT), as shells and `load run` do;
            # click's own handling would print "Aborted!" and exit 1
            click.echo("interrupted", err=True)
            raise click.exceptions.Exit(130) from None


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pulsekit")
def cli() -> None:
    """pulsekit: break a local platform on purpose, measure it, and learn from it."""


def main() -> None:
    """Entry point of the ``pulsekit`` console script."""
    cli()


if __name__ == "__main__":  # pragma: no cover
    main()
