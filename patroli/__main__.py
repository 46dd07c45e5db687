"""``python -m patroli`` runs the console script."""

from patroli.cli import main

main()
