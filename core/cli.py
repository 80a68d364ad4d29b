"""``layerbench``: the desktop app with no arguments, sub-commands for headless work.

Exit status: 0 on success, 1 on a user error (one line on stderr; ``--debug`` shows the traceback), 2 on
bad usage. Other modules add sub-commands with ``register_command`` (for example ``train``). TensorFlow
is imported only by ``import`` and ``export``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core.graph.errors import GraphError
from core.project.errors import ProjectError

PROG = "layerbench"


@dataclass(frozen=True)
class Command:
    """A sub-command: its name, one-line help, how it adds its arguments and the handler (returns the status)."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    handler: Callable[[argparse.Namespace], int]


COMMANDS: list[Command] = []

COMMAND_MODULES = ["core.training.cli", "core.rl.cli", "core.gan.cli", "core.desktop_entry.cli"]
"""Modules that call ``register_command`` when imported; each is optional (skipped when absent)."""


def register_command(name: str, help: str, add_arguments: Callable[[argparse.ArgumentParser], None],
                     handler: Callable[[argparse.Namespace], int]) -> None:
    """Add (or replace) a sub-command of ``layerbench``."""
    COMMANDS[:] = [c for c in COMMANDS if c.name != name]
    COMMANDS.append(Command(name, help, add_arguments, handler))


class UsageError(Exception):
    """Bad command-line usage found after parsing (exit status 2)."""


def _debug_parent() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                        help="show the full traceback of an error")
    return parent


def _import_command_modules() -> None:
    for name in COMMAND_MODULES:
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise


def build_parser() -> argparse.ArgumentParser:
    from core import cli_commands

    cli_commands.register_builtin()
    _import_command_modules()
    parser = argparse.ArgumentParser(prog=PROG, description="Layerbench: a workbench for deep learning with Keras. "
                                     "With no command, the desktop app starts.")
    parser.add_argument("--debug", action="store_true", default=False, help="show the full traceback of an error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    parent = _debug_parent()
    for command in COMMANDS:
        sub = subparsers.add_parser(command.name, help=command.help, description=command.help, parents=[parent])
        command.add_arguments(sub)
        sub.set_defaults(handler=command.handler)
    return parser


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().replace("\n", " ")
    return text or type(exc).__name__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script passes it to ``sys.exit``)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    if args_list and args_list[0].endswith(".layerbench"):
        args_list.insert(0, "open")  # `layerbench FILE`, as a file manager calls it
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    handler = getattr(args, "handler", None)
    if handler is None:  # no command: the desktop app
        from core.cli_commands import open_app

        handler = lambda _args: open_app(None)  # noqa: E731
    try:
        return int(handler(args))
    except UsageError as exc:
        parser.print_usage(sys.stderr)
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (ProjectError, GraphError, LookupError, ValueError, OSError) as exc:
        if args.debug:
            raise
        print(f"{PROG}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and friends: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.debug:
            raise
        print(f"{PROG}: internal error: {type(exc).__name__}: {_one_line(exc)} (run with --debug for the "
              "traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # `python -m core.cli`: run the imported module, whose COMMANDS others fill
    from core.cli import main as _main

    sys.exit(_main())
