"""``python -m freecost`` runs the command line."""

from freecost.cli import run

run()
