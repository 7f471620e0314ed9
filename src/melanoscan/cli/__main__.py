"""`python -m melanoscan.cli COMMAND ...`, the same as the `melanoscan` script."""

from melanoscan.cli import main

raise SystemExit(main())
