"""DTypes, the tf.errors hierarchy and TensorShape."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors


def test_dtype_conversions() -> None:
    assert tf.as_dtype("float32") is tf.float32
    assert tf.as_dtype(np.float64) is tf.float64
    assert tf.as_dtype(float) is tf.float32
    assert tf.float32.as_numpy_dtype is np.float32
    assert tf.int32.is_integer and tf.float16.is_floating and tf.bool.is_bool
    assert tf.float32 == np.float32 and tf.float32 != tf.float64
    assert tf.uint8.max == 255 and tf.int8.min == -128
    with pytest.raises(TypeError, match="Cannot convert"):
        tf.as_dtype("nope")


@pytest.mark.parametrize(
    "cls,builtin",
    [
        (errors.InvalidArgumentError, ValueError),
        (errors.NotFoundError, LookupError),
        (errors.FailedPreconditionError, RuntimeError),
        (errors.OutOfRangeError, IndexError),
        (errors.ResourceExhaustedError, MemoryError),
        (errors.UnimplementedError, NotImplementedError),
        (errors.InternalError, RuntimeError),
        (errors.PermissionDeniedError, PermissionError),
        (errors.DeadlineExceededError, TimeoutError),
        (errors.AlreadyExistsError, FileExistsError),
    ],
)
def test_error_classes_subclass_builtins(cls, builtin) -> None:
    assert issubclass(cls, errors.OpError) and issubclass(cls, builtin)
    e = cls(None, None, "boom")
    assert str(e) == "boom" and e.message == "boom" and e.op is None
    assert errors.exception_type_from_error_code(cls.error_code) is cls
    assert tf.errors.OpError is errors.OpError


def test_tensor_shape_behaviour() -> None:
    s = tf.TensorShape([None, 3])
    assert s.is_compatible_with([5, 3]) and not s.is_compatible_with([5, 4])
    assert s.merge_with([5, None]).as_list() == [5, 3]
    assert tf.TensorShape(None).ndims is None
    assert str(tf.TensorShape([2])) == "(2,)"
    assert s[1].value == 3 and s[0].value is None and int(s[1]) == 3
    assert s.concatenate([4]).as_list() == [None, 3, 4]
    assert tf.TensorShape([2, 3]).num_elements() == 6
    with pytest.raises(ValueError, match="not compatible"):
        s.merge_with([1, 2])
