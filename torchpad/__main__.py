"""`python -m torchpad ...` is the `torchpad` command."""

from .cli import main

raise SystemExit(main())
