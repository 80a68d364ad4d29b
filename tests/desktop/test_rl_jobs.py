"""The RL jobs the window runs in child processes: answers, errors, the describe cache."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.panels.rl_jobs import RLJobs, parse

pytestmark = pytest.mark.gym


def test_parse_takes_the_result_line_and_reports_a_crash_with_its_stderr() -> None:
    assert parse('noise\nRESULT {"mean": 1.5}\n', "") == {"mean": 1.5}
    failed = parse("", "Traceback ...\nValueError: broken\n")
    assert "the RL job failed" in failed["error"] and "ValueError: broken" in failed["error"]


def ask(qtbot: Any, jobs: RLJobs, command: str, payload: dict[str, Any]) -> dict[str, Any]:
    answers: list[dict[str, Any]] = []
    jobs.request(command, payload, answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=20_000)
    return answers[0]


def test_describe_is_answered_once_then_from_the_cache(qtbot: Any) -> None:
    jobs = RLJobs()
    first = ask(qtbot, jobs, "describe", {"env": "Taxi-v4", "options": {}})
    assert first["observation"]["n"] == 500 and first["actions"]["n"] == 6
    answers: list[dict[str, Any]] = []
    jobs.request("describe", {"env": "Taxi-v4", "options": {}}, answers.append)
    assert answers == [first] and not jobs.running  # no process started


def test_user_errors_come_back_as_messages(qtbot: Any) -> None:
    jobs = RLJobs()
    assert "not tabular" in ask(qtbot, jobs, "solve", {"env": "CartPole-v1"})["error"]
    assert "unknown environment 'Pong-v5'" in ask(qtbot, jobs, "describe", {"env": "Pong-v5"})["error"]
    bad_map = ask(qtbot, jobs, "describe", {"env": "FrozenLake-v1", "options": {"desc": ["SX", "FG"]}})
    assert "'X'" in bad_map["error"]
