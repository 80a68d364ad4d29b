"""``layerbench install-shortcut`` / ``uninstall-shortcut``: the start-menu entry and the project file type."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.cli import register_command
from core.desktop_entry import linux, other
from core.desktop_entry.content import launcher
from core.project.schema import APP_VERSION


def _args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-home", default=None,
                        help="Linux: install under this folder instead of $XDG_DATA_HOME (~/.local/share)")
    parser.add_argument("--no-refresh", action="store_true",
                        help="do not run update-desktop-database / update-mime-database afterwards")


def _print(report: linux.Report, verb: str) -> int:
    for path in report.files:
        print(f"{verb} {path}")
    for tool in report.tools:
        print(f"ran {tool}")
    for note in report.notes:
        print(f"note: {note}")
    return 0


def install_handler(args: argparse.Namespace) -> int:
    command, refresh = launcher(), not args.no_refresh
    if sys.platform == "win32":
        return _print(other.install_windows(command, APP_VERSION, run_tools=refresh), "wrote")
    if sys.platform == "darwin":
        return _print(other.install_macos(command, APP_VERSION), "wrote")
    home = Path(args.data_home) if args.data_home else None
    return _print(linux.install(command, APP_VERSION, home, run_tools=refresh), "wrote")


def uninstall_handler(args: argparse.Namespace) -> int:
    refresh = not args.no_refresh
    if sys.platform == "win32":
        return _print(other.uninstall_windows(run_tools=refresh), "removed")
    if sys.platform == "darwin":
        return _print(other.uninstall_macos(), "removed")
    home = Path(args.data_home) if args.data_home else None
    return _print(linux.uninstall(home, run_tools=refresh), "removed")


register_command("install-shortcut", "add Layerbench to the start menu and open .layerbench files with it",
                 _args, install_handler)
register_command("uninstall-shortcut", "remove the start-menu entry and the .layerbench file type",
                 _args, uninstall_handler)


def gpu_name(tf: Any, device: Any) -> str:
    """``GPU:0 (NVIDIA A100-SXM4-40GB)``: TensorFlow's short name and the model when the driver tells it."""
    short = str(device.name).removeprefix("/physical_device:")
    try:
        model = str(tf.config.experimental.get_device_details(device).get("device_name", ""))
    except (ValueError, RuntimeError):
        model = ""
    return f"{short} ({model})" if model else short


def versions_handler(args: argparse.Namespace) -> int:
    """TensorFlow, Keras and GPUs as one JSON line: the About dialog asks a bundled app this way."""
    import json
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import tensorflow as tf

    gpus = [gpu_name(tf, d) for d in tf.config.list_physical_devices("GPU")]
    info = {"layerbench": APP_VERSION, "tensorflow": tf.__version__, "keras": keras.__version__, "gpus": gpus}
    print(json.dumps(info) if args.json else "\n".join(f"{k}: {v}" for k, v in info.items()), flush=True)
    return 0


def _versions_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="one JSON line")


register_command("versions", "versions of Layerbench, TensorFlow and Keras, and the GPUs TensorFlow finds",
                 _versions_args, versions_handler)
