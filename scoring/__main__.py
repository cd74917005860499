"""``python -m scoring``: the JSON-lines command line (see `scoring.cli`)."""

from scoring.cli import main

main()
