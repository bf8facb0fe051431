"""``python -m tests.soak [--minutes N]``."""

from tests.soak.run import main

raise SystemExit(main())
