"""``python -m aimu_core.cli``: the ``aimu`` command."""

from . import main

raise SystemExit(main())
