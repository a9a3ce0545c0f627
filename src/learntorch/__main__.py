"""``python -m learntorch``: the same command as ``learntorch`` (see :mod:`learntorch.cli`)."""

import sys

from learntorch.cli import main

sys.exit(main())
