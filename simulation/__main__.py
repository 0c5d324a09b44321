"""`python -m simulation` is the same as the `symmetry-studio` command."""

from .cli import main

raise SystemExit(main())
