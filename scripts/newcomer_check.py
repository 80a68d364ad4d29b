"""What a newcomer sees: clone the repository into a temp folder, run ``make test`` and ``make run`` there.

``make run`` runs under ``xvfb-run`` with ``LAYERBENCH_STARTUP_PROBE=1``: the app prints ``painted <time>``
once its window is shown and painted, then quits. A run that never prints it within the timeout fails.
Reports the time each step took. The full check takes a while (``make test`` first builds ``.venv`` from the
pinned requirements); ``--dry-run`` only clones and prints the commands.

    python scripts/newcomer_check.py [--dry-run] [--keep] [--skip-test] [--repo PATH] [--test-timeout S]
                                     [--run-timeout S]
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Step:
    name: str
    command: list[str]
    timeout: float
    env: dict[str, str]
    seconds: float = 0.0
    code: int | None = None
    output: str = ""

    @property
    def ok(self) -> bool:
        if self.name == "make run":
            return "painted" in self.output
        return self.code == 0


def steps(clone: Path, test_timeout: float, run_timeout: float) -> list[Step]:
    settings = clone.parent / "settings.ini"  # the app's settings stay out of the user's own
    run_env = {"LAYERBENCH_STARTUP_PROBE": "1", "LAYERBENCH_SETTINGS": str(settings)}
    xvfb = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24"] if shutil.which("xvfb-run") else []
    return [Step("make test", ["make", "test"], test_timeout, {}),
            Step("make run", [*xvfb, "make", "run"], run_timeout, run_env)]


def clone_repo(repo: Path, into: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["git", "clone", "--quiet", str(repo), str(into)], check=True)
    return time.perf_counter() - start


def execute(step: Step, cwd: Path) -> Step:
    """Run ``step`` in its own process group; the whole group is ended at the timeout."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")} | step.env
    venv = os.environ.get("VIRTUAL_ENV") or str(Path(sys.prefix))
    if sys.prefix != sys.base_prefix or "VIRTUAL_ENV" in os.environ:  # a newcomer has no venv active
        env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(venv))
    start = time.perf_counter()
    proc = subprocess.Popen(step.command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=step.timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
        out += f"\n[ended after the {step.timeout:g} s timeout]"
    step.seconds, step.code, step.output = time.perf_counter() - start, proc.returncode, out or ""
    return step


def report(clone_seconds: float, done: list[Step]) -> bool:
    print(f"\n{'step':<12} {'seconds':>9}  result")
    print(f"{'git clone':<12} {clone_seconds:>9.1f}  ok")
    for s in done:
        print(f"{s.name:<12} {s.seconds:>9.1f}  {'ok' if s.ok else f'FAILED (exit code {s.code})'}")
    for s in done:
        if not s.ok:
            print(f"\n--- last lines of {s.name} ---\n" + "\n".join(s.output.splitlines()[-30:]))
    return all(s.ok for s in done)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, default=ROOT, help="the repository to clone (default: this one)")
    parser.add_argument("--dry-run", action="store_true", help="clone and print the commands, run nothing")
    parser.add_argument("--keep", action="store_true", help="keep the clone (its path is printed)")
    parser.add_argument("--skip-test", action="store_true", help="only make run (it still builds .venv first)")
    parser.add_argument("--test-timeout", type=float, default=3600.0)
    parser.add_argument("--run-timeout", type=float, default=120.0)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="layerbench-newcomer-"))
    clone = folder / "layerbench"
    try:
        clone_seconds = clone_repo(args.repo, clone)
        print(f"cloned {args.repo} into {clone} in {clone_seconds:.1f} s")
        plan = steps(clone, args.test_timeout, args.run_timeout)
        if args.skip_test:
            plan = [s for s in plan if s.name != "make test"]
        for s in plan:
            env = " ".join(f"{k}={v}" for k, v in s.env.items())
            print(f"  (cd {clone} && {env + ' ' if env else ''}timeout {s.timeout:g} {shlex.join(s.command)})")
        if args.dry_run:
            return 0
        done = []
        for s in plan:
            print(f"running {s.name} ...", flush=True)
            done.append(execute(s, clone))
        return 0 if report(clone_seconds, done) else 1
    finally:
        if args.keep:
            print(f"kept {clone}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
