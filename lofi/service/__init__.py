"""What the pages and the CLI call: tracks, recipes, runs, uploads, figures."""
