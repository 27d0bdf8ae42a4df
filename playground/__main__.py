"""``python -m playground``: the same entry point as the ``playground`` command."""

from playground.cli import main

raise SystemExit(main())
