"""Entry point of the bundled app: the ``layerbench`` command (GUI with no arguments, sub-commands otherwise).

``freeze_support`` lets the training worker processes (multiprocessing, spawn) start from the frozen binary.
"""

from __future__ import annotations

import multiprocessing
import sys

if __name__ == "__main__":
    multiprocessing.freeze_support()
    from core.cli import main

    sys.exit(main())
