"""tf.estimator.inputs: input_fns over in-memory NumPy arrays.

`numpy_input_fn` feeds batches from Python (a `tf.data` generator source), so the arrays are
never copied into the graph: checkpoints' meta graphs stay small however large the data.
"""

from __future__ import annotations

import collections
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import get_seed


def _as_array(name: str, v: Any) -> np.ndarray:
    a = np.asarray(v)
    if a.dtype.kind in "US":
        a = (
            np.char.encode(a.astype(str), "utf-8").astype(object)
            if a.dtype.kind == "U"
            else a.astype(object)
        )
    elif a.dtype == object:
        a = np.array(
            [x.encode() if isinstance(x, str) else x for x in a.ravel()], dtype=object
        ).reshape(a.shape)
    if a.ndim == 0:
        raise ValueError(f"numpy_input_fn: {name} must have a batch dimension; got a scalar.")
    return a


def _dtype_of(a: np.ndarray) -> Any:
    return dtypes.string if a.dtype == object else dtypes.as_dtype(a.dtype)


def _index_batches(
    n: int, batch_size: int, num_epochs: int | None, shuffle: bool, rng: np.random.Generator
) -> Iterator[np.ndarray]:
    """Indices of each batch: epochs follow one another (a batch may span two, as TF's queue
    does), and the last batch of a finite run may be smaller."""
    pending = np.empty(0, np.int64)
    epoch = 0
    while num_epochs is None or epoch < num_epochs:
        order = rng.permutation(n) if shuffle else np.arange(n)
        pending = np.concatenate([pending, order])
        epoch += 1
        while len(pending) >= batch_size:
            yield pending[:batch_size]
            pending = pending[batch_size:]
    if len(pending):
        yield pending


def numpy_input_fn(
    x: Any,
    y: Any = None,
    batch_size: int = 128,
    num_epochs: int | None = 1,
    shuffle: bool | None = None,
    queue_capacity: int = 1000,
    num_threads: int = 1,
) -> Callable[[], Any]:
    """An input_fn that returns batches of `x` (a dict of arrays, or one array) and `y`.

    Args:
        x: dict feature name -> array (first axis: examples), or one array.
        y: labels: an array, a dict of arrays, or None.
        batch_size: examples per batch.
        num_epochs: passes over the data (None: forever); then the input_fn's tensors raise
            OutOfRangeError, which ends Estimator.train/evaluate/predict.
        shuffle: required: whether to shuffle the examples of each epoch.
        queue_capacity, num_threads: accepted for compatibility.

    Returns:
        input_fn() -> (features, labels), or features if y is None.

    Raises:
        ValueError / TypeError: shuffle not a bool, mismatched lengths, a key in both x and y.

    Example:
        >>> train_data = np.arange(10, dtype=np.float32).reshape(5, 2)
        >>> train_labels = np.array([0, 1, 0, 1, 1])
        >>> train_input_fn = tf.estimator.inputs.numpy_input_fn(
        ...     x={"x": train_data}, y=train_labels, batch_size=2, num_epochs=1,
        ...     shuffle=False)
        >>> features, labels = train_input_fn()   # builds the queue in the default graph
        >>> with tf.train.MonitoredSession() as sess:
        ...     print(sess.run(labels), sess.run(labels), sess.run(labels))
        [0 1] [0 1] [1]
    """
    if not isinstance(shuffle, bool):
        raise ValueError(
            f"shuffle must be provided and explicitly set as boolean (it is "
            f"recommended to set it as True for training); got {shuffle!r}"
        )
    if not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
        raise ValueError(f"batch_size must be a positive int; got {batch_size!r}.")
    if num_epochs is not None and (
        not isinstance(num_epochs, (int, np.integer)) or num_epochs <= 0
    ):
        raise ValueError(f"num_epochs must be None or a positive int; got {num_epochs!r}.")
    x_is_dict = isinstance(x, dict)
    y_is_dict = isinstance(y, dict)
    xs = collections.OrderedDict(
        (k, _as_array(f"x[{k!r}]", v)) for k, v in (x.items() if x_is_dict else [("", x)])
    )
    ys = None
    if y is not None:
        ys = collections.OrderedDict(
            (k, _as_array(f"y[{k!r}]", v)) for k, v in (y.items() if y_is_dict else [("", y)])
        )
        if x_is_dict and y_is_dict:
            both = set(xs) & set(ys)
            if both:
                raise ValueError(
                    f"{sorted(both)} duplicate keys are found in both x and y. "
                    "Keys in x and y cannot overlap."
                )
    lengths = {len(a) for a in xs.values()} | ({len(a) for a in ys.values()} if ys else set())
    if len(lengths) != 1:
        raise ValueError(
            f"Length of tensors in x and y is mismatched. All elements in x and "
            f"y must have the same length. Lengths: {sorted(lengths)}."
        )
    n = lengths.pop()
    if n == 0:
        raise ValueError("numpy_input_fn: x has no examples.")

    def input_fn() -> Any:
        from flowzero.data.dataset import Dataset

        seed = get_seed(None)
        bs = int(batch_size)

        def gen() -> Iterator[Any]:
            rng = np.random.default_rng(
                None if seed == (None, None) else [int(seed[0] or 0), int(seed[1] or 0)]
            )
            for idx in _index_batches(n, bs, num_epochs, shuffle, rng):
                fx = {k: a[idx] for k, a in xs.items()}
                if ys is None:
                    yield fx
                else:
                    yield fx, {k: a[idx] for k, a in ys.items()}

        x_types = {k: _dtype_of(a) for k, a in xs.items()}
        x_shapes = {k: [None, *a.shape[1:]] for k, a in xs.items()}
        if ys is None:
            types: Any = x_types
            shapes: Any = x_shapes
        else:
            types = (x_types, {k: _dtype_of(a) for k, a in ys.items()})
            shapes = (x_shapes, {k: [None, *a.shape[1:]] for k, a in ys.items()})
        ds = Dataset.from_generator(gen, types, shapes)
        out = ds.make_one_shot_iterator().get_next()
        feats, labels = (out, None) if ys is None else out
        features = feats if x_is_dict else feats[""]
        if ys is None:
            return features
        return features, (labels if y_is_dict else labels[""])

    return input_fn


__all__ = ["numpy_input_fn"]
