"""Entry point of the bundled app: the ``layerbench`` command (GUI with no arguments, sub-commands otherwise).

``freeze_support`` comes first: PyInstaller's multiprocessing hook makes it recognise, on every platform, the
``--multiprocessing-fork`` arguments of a spawned training worker (and the resource tracker) and run that
instead of the app. The desktop app also starts helper jobs as ``<python> -m <module> …``; in the bundle
``sys.executable`` is this program, so ``-m`` is handled here.
"""

from __future__ import annotations

import multiprocessing
import runpy
import sys


def run_module(argv: list[str]) -> int:
    """``layerbench -m core.cli export …`` in the bundle behaves as ``python -m core.cli export …``."""
    module = argv[1]
    sys.argv = [module, *argv[2:]]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


if __name__ == "__main__":
    multiprocessing.freeze_support()
    if len(sys.argv) > 2 and sys.argv[1] == "-m":
        sys.exit(run_module(sys.argv[1:]))
    from core.cli import main

    sys.exit(main())
