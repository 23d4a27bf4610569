from lofi.cli import main

raise SystemExit(main())
