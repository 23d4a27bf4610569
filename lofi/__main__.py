"""`python -m lofi`: the command line (see lofi.cli)."""

from lofi.cli import main

raise SystemExit(main())
