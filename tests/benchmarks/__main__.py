"""``python -m tests.benchmarks [--quick] [--output PATH]``."""

from tests.benchmarks.run import main

raise SystemExit(main())
