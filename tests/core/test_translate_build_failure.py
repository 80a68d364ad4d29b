"""A layer that cannot be built for lack of memory is said to be out of memory, in words (TensorFlow's own text
starts with an internal op name); other build errors keep their text. Through a real worker: the "out of memory"
scenario of tests/hardening/test_faults_window.py."""

from __future__ import annotations

from core.translate.to_keras import build_failure

TF_TEXT = ("{{function_node __wrapped__StatelessRandomUniformV2_device_/job:localhost/replica:0/task:0/device:CPU:0}} "
           "OOM when allocating tensor with shape[1000000,1000000] and type float on "
           "/job:localhost/replica:0/task:0/device:CPU:0 by allocator mklcpu [Op:StatelessRandomUniformV2] name: ")


class ResourceExhaustedError(Exception):
    """Stands in for ``tf.errors.ResourceExhaustedError`` (matched by name: core imports no TensorFlow here)."""


def test_tensorflow_out_of_memory_is_worded_with_the_shape() -> None:
    text = build_failure(ResourceExhaustedError(TF_TEXT))
    assert text == ("out of memory (OOM): a tensor of shape (1000000, 1000000) could not be allocated; "
                    "make the layer smaller")


def test_python_memory_error_is_worded() -> None:
    assert build_failure(MemoryError()).startswith("out of memory (OOM): its weights could not be allocated")


def test_other_errors_keep_their_text() -> None:
    assert build_failure(ValueError("units must be positive")) == "units must be positive"
