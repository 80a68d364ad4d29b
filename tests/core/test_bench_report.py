"""The benchmark runner's written record: machine line, one row per figure, README block replaced in place."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.benchmarks import __main__ as runner
from tests.benchmarks import report
from tests.benchmarks.common import Row


def test_markdown_names_the_machine_and_every_row() -> None:
    rows = [("bench_shapes", Row("inference, 1,000 nodes", "< 20 ms", 0.006, limit=0.02)),
            ("bench_training", Row("epoch time", "ratio", 0.2, baseline=0.19, max_ratio=1.03))]
    text = report.markdown(rows, report.machine(), runner.cells)
    assert "logical cores" in text and "Python" in text and "TensorFlow / Keras" in text
    lines = text.splitlines()
    assert "| shapes | inference, 1,000 nodes | < 20 ms | 6.00 ms | - | - | ok |" in lines
    assert "| training | epoch time | ratio | 200 ms | 190 ms | 1.05x | MISSED |" in lines


def test_replace_block_swaps_only_the_marked_table() -> None:
    readme = f"intro\n{report.BEGIN}\nold table\n{report.END}\nafter\n"
    out = report.replace_block(readme, "new table\n")
    assert out == f"intro\n{report.BEGIN}\nnew table\n{report.END}\nafter\n"
    with pytest.raises(ValueError, match="bench:begin"):
        report.replace_block("no markers", "x")


def test_the_readme_carries_the_markers() -> None:
    text = (Path(runner.README)).read_text(encoding="utf-8")
    assert text.count(report.BEGIN) == 1 and text.count(report.END) == 1


def test_runner_writes_the_file_it_is_given(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.md"
    assert runner.main(["no_such_topic", "--out", str(out)]) == 0  # no module matches: an empty table
    text = out.read_text(encoding="utf-8")
    assert text.startswith("Measured by `make bench` on ") and "no_such_topic only" in text
    assert "| module | figure |" in text
