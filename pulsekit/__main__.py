"""``python -m pulsekit`` runs the ``pulsekit`` command."""

from pulsekit.cli import main

main()
