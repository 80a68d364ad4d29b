"""Hostile Keras files: the importer refuses code (Lambda, custom classes, ``os.system``-like callables) with a
clear ``ProjectError`` and never runs it (a canary module writes a marker file if anything of it is called);
mutated ``.keras`` zips and ``config.json`` values end in a project or a ``ProjectError``, nothing else.

Recorded on 2026-11-27 (``-s`` prints the tally): a real Lambda and 9 hostile configs refused with the canary
silent; 100 mutated zips (81 refused, 19 imported) and 100 mutated configs (86 refused, 14 imported).
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.project import ProjectError
from tests.hardening.canary import MARKER_ENV
from tests.hardening.fuzzing import (
    FUZZ,
    HOSTILE,
    Tally,
    byte_ops,
    json_paths,
    make_zip,
    mutate_bytes,
    set_path,
    zip_members,
)

pytestmark = [pytest.mark.tf, pytest.mark.slow, pytest.mark.timeout(300)]
TALLY = Tally()
WORK = Path(tempfile.mkdtemp(prefix="layerbench-kfuzz-"))
atexit.register(shutil.rmtree, WORK, True)  # also in an xdist worker that only imported this module
MARKER = WORK / "canary-ran.txt"
CANARY = "tests.hardening.canary"
KERAS_FUZZ = settings(FUZZ, max_examples=100)


@pytest.fixture(scope="module", autouse=True)
def canary() -> Iterator[None]:
    old = os.environ.get(MARKER_ENV)
    os.environ[MARKER_ENV] = str(MARKER)
    yield
    if old is None:
        del os.environ[MARKER_ENV]
    else:
        os.environ[MARKER_ENV] = old
    print("\nhostile Keras files:\n  " + "\n  ".join(TALLY.lines()))
    shutil.rmtree(WORK, ignore_errors=True)


@pytest.fixture(scope="module")
def base(canary: None) -> dict[str, bytes]:
    import keras

    i = keras.Input((4,), name="x")
    h = keras.layers.Dense(3, activation="relu", name="d1")(i)
    o = keras.layers.Dense(2, name="d2")(h)
    path = WORK / "base.keras"
    keras.Model(i, o).save(path)
    return zip_members(path.read_bytes())


@pytest.fixture(scope="module")
def lambda_file(canary: None) -> Path:
    import keras

    i = keras.Input((4,), name="x")
    code = keras.layers.Lambda(lambda t: (__import__("tests.hardening.canary").hardening.canary.boom(), t)[1],
                               output_shape=(4,), name="evil")(i)
    path = WORK / "lambda.keras"
    keras.Model(i, keras.layers.Dense(2, name="d")(code)).save(path)
    MARKER.unlink(missing_ok=True)  # building the model above called the lambda once, in this test
    return path


def attempt(test: str, data: bytes, name: str = "m.keras") -> tuple[str, str]:
    """Import ``data`` as a Keras file; returns (outcome, error text). The canary must stay silent."""
    from core.translate.from_keras import import_keras_file

    path = WORK / name
    path.write_bytes(data)
    try:
        project = import_keras_file(path)
        project.main.to_dict()
        outcome, text = "imported", ""
    except ProjectError as exc:
        outcome, text = "refused", str(exc)
    TALLY.add(test, outcome)
    assert not MARKER.exists(), f"code from a Keras file ran ({test})"
    assert outcome == "imported" or text.strip()
    return outcome, text


def _layer(config: dict[str, Any], name: str) -> dict[str, Any]:
    return next(layer for layer in config["config"]["layers"] if layer["name"] == name)


def _hostile(config: dict[str, Any], kind: str) -> None:
    d1 = _layer(config, "d1")
    if kind == "custom-class":
        d1.update(module=CANARY, class_name="Boom", registered_name=None)
    elif kind == "registered-name":
        d1.update(module="keras.layers", class_name="Boom", registered_name=f"{CANARY}>Boom")
    elif kind == "os-system":
        d1.update(module="os", class_name="system", config={"command": f"touch {MARKER}"})
    elif kind == "builtins-exec":
        d1.update(module="builtins", class_name="exec",
                  config={"source": f"open({str(MARKER)!r}, 'w')"})
    elif kind == "subprocess":
        d1.update(module="subprocess", class_name="Popen", config={"args": ["touch", str(MARKER)]})
    elif kind == "activation-function":
        d1["config"]["activation"] = {"module": CANARY, "class_name": "function", "config": "boom",
                                      "registered_name": "boom"}
    elif kind == "initializer":
        d1["config"]["kernel_initializer"] = {"module": CANARY, "class_name": "Boom", "config": {},
                                              "registered_name": None}
    elif kind == "model-class":
        config.update(module=CANARY, class_name="Boom")
    elif kind == "lambda-by-name":
        d1.update(module="keras.layers", class_name="Lambda",
                  config={"name": "d1", "function": {"module": "builtins", "class_name": "function",
                                                     "config": "exec", "registered_name": "function"}})


HOSTILE_KINDS = ["custom-class", "registered-name", "os-system", "builtins-exec", "subprocess",
                 "activation-function", "initializer", "model-class", "lambda-by-name"]


def test_a_real_lambda_is_refused_without_running(lambda_file: Path) -> None:
    outcome, text = attempt("lambda", lambda_file.read_bytes(), "lambda.keras")
    assert outcome == "refused"
    assert "Lambda" in text


@pytest.mark.parametrize("kind", HOSTILE_KINDS)
def test_hostile_config_is_refused_without_running(base: dict[str, bytes], kind: str) -> None:
    config = json.loads(base["config.json"])
    _hostile(config, kind)
    outcome, text = attempt("hostile-config", make_zip({**base, "config.json": json.dumps(config).encode()}))
    assert outcome == "refused", kind
    assert "base.keras" not in text and "m.keras" in text  # names the file


def test_the_unmutated_file_imports(base: dict[str, bytes]) -> None:
    assert attempt("unmutated", make_zip(base))[0] == "imported"


@KERAS_FUZZ
@given(ops=byte_ops())
def test_mutated_keras_zip_bytes(base: dict[str, bytes], ops: list[tuple[str, float, bytes]]) -> None:
    attempt("keras-zip-bytes", mutate_bytes(make_zip(base), ops))


@KERAS_FUZZ
@given(data=st.data(), n=st.integers(1, 3))
def test_mutated_keras_config_values(base: dict[str, bytes], data: st.DataObject, n: int) -> None:
    config = copy.deepcopy(json.loads(base["config.json"]))
    for _ in range(n):
        path = data.draw(st.sampled_from(list(json_paths(config))))
        set_path(config, path, data.draw(HOSTILE))
    attempt("keras-config", make_zip({**base, "config.json": json.dumps(config).encode()}))
