"""tf.sparse.cross: feature crosses of string / int64 columns, row by row (SparseCross with
string output; the hashed variant, cross_hashed, needs TF's FarmHash fingerprints and is not
here)."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowzero.ops.common import _graph_for


def _text(v: Any) -> bytes:
    return v if isinstance(v, bytes) else str(v).encode() if not isinstance(v, str) else v.encode()


@register_op("SparseCross")
class SparseCross(OpDef):
    """For each row b: every combination of one value of row b of each input, joined by the
    separator (inputs: the sparse ones, then the dense ones; the last varies fastest)."""

    differentiable = False

    def infer(self, *parts: Tensor) -> list[TensorSpec]:
        n = self.attrs["n_sparse"]
        values = [parts[3 * k + 1] for k in range(n)] + list(parts[3 * n :])
        for t in values:
            if t.dtype not in (dtypes.string, dtypes.int64):
                raise self.error(f"inputs must be string or int64; got {t.dtype.name}.")
        for t in parts[3 * n :]:
            if t.shape.ndims not in (None, 2):
                raise self.error(f"a dense input must be a matrix; got shape {t.shape}.")
        return [spec([None, 2], dtypes.int64), spec([None], dtypes.string), spec([2], dtypes.int64)]

    def compute(self, *parts: np.ndarray) -> list[np.ndarray]:
        n = self.attrs["n_sparse"]
        sizes, columns = [], []  # columns: per input, a function row -> its values
        for k in range(n):
            ind, val, shp = parts[3 * k : 3 * k + 3]
            if shp.size != 2:
                raise self.error(f"sparse input {k} must have rank 2; got dense shape {shp}.")
            sizes.append(int(shp[0]))
            rows = ind[:, 0]
            columns.append(lambda b, rows=rows, val=val: val[rows == b])
        for k, x in enumerate(parts[3 * n :]):
            if x.ndim != 2:
                raise self.error(f"dense input {k} must be a matrix; got shape {list(x.shape)}.")
            sizes.append(x.shape[0])
            columns.append(lambda b, x=x: x[b])
        if len(set(sizes)) > 1:
            raise self.error(f"Expected the same batch size for every input; got {sizes}.")
        sep = self.attrs["separator"].encode()
        ind, out, longest = [], [], 0
        for b in range(sizes[0] if sizes else 0):
            crosses = [
                sep.join(_text(v) for v in combo)
                for combo in itertools.product(*(col(b) for col in columns))
            ]
            ind.extend([b, j] for j in range(len(crosses)))
            out.extend(crosses)
            longest = max(longest, len(crosses))
        values = np.empty(len(out), dtype=object)
        values[:] = out
        return [
            np.array(ind, np.int64).reshape(-1, 2),
            values,
            np.array([sizes[0] if sizes else 0, longest], np.int64),
        ]


def sparse_cross(
    inputs: Any, name: str | None = None, separator: str | None = None
) -> SparseTensor:
    """`tf.sparse.cross`: the feature crosses of string / int64 columns, row by row.

    Args:
        inputs: SparseTensors and dense matrices [batch, n], each string or int64.
        name: a name for the op.
        separator: joins the crossed values (default "_X_").

    Returns:
        A string SparseTensor [batch, most crosses]: row b holds every combination of one
        value from row b of each input (the SparseTensors first, then the dense inputs, in
        the order given; the last varies fastest).

    Example:
        >>> sp = tf.SparseTensor([[0, 0]], ["a"], [1, 1])
        >>> crossed = tf.Session().run(tf.sparse.cross([sp, tf.constant([["x", "y"]])]))
        >>> print(crossed.values, crossed.dense_shape)
        [b'a_X_x' b'a_X_y'] [1 2]
    """
    if not isinstance(inputs, (list, tuple)) or not inputs:
        raise TypeError(f"sparse.cross: inputs must be a non-empty list; got {inputs!r}.")
    items = [SparseTensor.from_value(x) if isinstance(x, SparseTensorValue) else x for x in inputs]
    sparse = [x for x in items if isinstance(x, SparseTensor)]
    with _graph_for(*[x.values if isinstance(x, SparseTensor) else x for x in items]):
        dense = [convert_to_tensor(x) for x in items if not isinstance(x, SparseTensor)]
        parts = [t for sp in sparse for t in sp._components()] + dense
        attrs = {"n_sparse": len(sparse), "separator": "_X_" if separator is None else separator}
        ind, val, shp = apply_op(SparseCross, parts, attrs, name=name or "SparseCross")
        return SparseTensor(ind, val, shp)


__all__: list[str] = []  # tf.sparse.cross only
