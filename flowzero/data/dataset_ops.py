"""Ops that ask a dataset or an iterator something: DatasetCardinality (its number of
elements), IteratorToStringHandle (an iterator's handle, for a feedable iterator made by
Iterator.from_string_handle); and NumpyIterator, an eager dataset's elements as NumPy values.
"""

from __future__ import annotations

from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors, nest
from flowzero.framework.graph import Tensor, apply_op, get_default_graph
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.runtime.state import RunContext

INFINITE_CARDINALITY = -1
UNKNOWN_CARDINALITY = -2
AUTOTUNE = -1


# -- cardinality --------------------------------------------------------------------------------
def _count(node: dict[str, Any], values: list[Any]) -> int:
    """The number of elements the tree yields, INFINITE_CARDINALITY or UNKNOWN_CARDINALITY (TF's
    rules: a count that depends on the elements' values is unknown)."""
    inf, unknown = INFINITE_CARDINALITY, UNKNOWN_CARDINALITY
    op = node["op"]
    if op == "slices":
        return int(np.shape(values[node["tensors"][0]["input"]])[0])
    if op == "tensors":
        return 1
    if op == "sparse_slices":
        parts = node["tensors"]
        groups = node["sparse"]
        dense = [k for k in range(len(parts)) if all(k not in g for g in groups)]
        if dense:
            return int(np.shape(values[parts[dense[0]]["input"]])[0])
        return int(values[parts[groups[0][2]]["input"]][0])
    if op == "range":
        b = [
            int(values[x["input"]]) if isinstance(x, dict) else x
            for x in (node["start"], node["stop"], node["step"])
        ]
        return len(range(*b)) if b[2] else unknown
    if op == "zip":
        kids = [_count(c, values) for c in node["children"]]
        if unknown in kids:
            return unknown
        finite = [k for k in kids if k != inf]
        return min(finite) if finite else inf
    if op in ("generator", "files", "filter", "flat_map", "interleave", "unbatch"):
        return unknown
    if op in ("ignore_errors", "scan", "take_while", "unique") or "child" not in node:
        return unknown  # (choose and sample, transforms.py's, have no single child)
    n = _count(node["child"], values)
    if op in ("batch", "padded_batch"):
        if n < 0:
            return n
        return n // node["n"] if node["drop"] else -(-n // node["n"])
    if op == "repeat":
        if node["count"] < 0:
            return 0 if n == 0 else inf
        return n if n < 0 else n * node["count"]
    if op == "take":
        c = node["count"]
        if n == unknown:
            return unknown
        if n == inf:
            return c if c >= 0 else inf
        return n if c < 0 else min(n, c)
    if op == "skip":
        c = node["count"]
        if n < 0:
            return n
        return 0 if c < 0 else max(0, n - c)
    if op == "map":  # TF1's map does not promise one element out per element in
        return unknown
    return n  # shuffle


@register_op("DatasetCardinality")
class DatasetCardinality(OpDef):
    """n = the number of elements of a dataset (-1: infinite, -2: unknown)."""

    differentiable = False

    def infer(self, *tensors: Tensor) -> TensorSpec:
        return spec([], dtypes.int64)

    def compute(self, *values: Any) -> np.ndarray:
        return np.array(_count(self.attrs["tree"], list(values)), np.int64)


def cardinality(dataset: Any) -> Tensor:
    """`tf.data.experimental.cardinality(dataset)`: an int64 scalar, the number of elements,
    or INFINITE_CARDINALITY (-1), or UNKNOWN_CARDINALITY (-2).

    Example:
        >>> n = tf.data.experimental.cardinality(tf.data.Dataset.range(10).batch(3))
        >>> print(tf.Session().run(n))
        4
    """
    from flowzero.data.dataset import Dataset, _collect

    if not isinstance(dataset, Dataset):
        raise TypeError(f"cardinality: expected a tf.data.Dataset; got {dataset!r}.")
    tensors: list[Tensor] = []
    tree = _collect(dataset._node, tensors)
    return apply_op(DatasetCardinality, tensors, {"tree": tree}, name="DatasetCardinality")


# -- the one element ---------------------------------------------------------------------------
@register_op("DatasetToSingleElement")
class DatasetToSingleElement(OpDef):
    """e = the only element of a dataset."""

    needs_context = True
    stateful = True
    differentiable = False

    def infer(self, *tensors: Tensor) -> list[TensorSpec]:
        return [spec(s, d) for s, d in self.attrs["out_specs"]]

    def compute(self, ctx: RunContext, *values: Any) -> list[Any]:
        from flowzero.data.dataset import _elements

        key = self.attrs["key"]  # its map bodies' plans are cached under it, run to run
        it = _elements(self.attrs["tree"], list(values), ctx, key)
        first = next(it, None)
        if first is None:
            raise errors.InvalidArgumentError(None, None, "Dataset was empty.")
        if next(it, None) is not None:
            raise errors.InvalidArgumentError(None, None, "Dataset had more than one element.")
        return list(first)


def single_element(dataset: Any) -> Any:
    from flowzero.data.dataset import Dataset, _collect, _iterator_ids

    if not isinstance(dataset, Dataset):
        raise TypeError(f"get_single_element: expected a tf.data.Dataset; got {dataset!r}.")
    tensors: list[Tensor] = []
    tree = _collect(dataset._node, tensors)
    attrs = {
        "tree": tree,
        "key": f"single_element_{next(_iterator_ids)}",
        "out_specs": [(s.shape, s.dtype) for s in dataset._specs],
    }
    outs = apply_op(DatasetToSingleElement, tensors, attrs, name="DatasetToSingleElement")
    outs = outs if isinstance(outs, list) else [outs]
    from flowzero.data.structure import pack

    return pack(dataset._structure, outs)


# -- reduce -------------------------------------------------------------------------------------
@register_op("ReduceDataset")
class ReduceDataset(OpDef):
    """state = reduce_func(state, e) over every element e, from the initial state."""

    needs_context = True
    stateful = True
    differentiable = False

    def infer(self, *tensors: Tensor) -> list[TensorSpec]:
        return [spec(s, d) for s, d in self.attrs["out_specs"]]

    def compute(self, ctx: RunContext, *values: Any) -> list[Any]:
        from flowzero.data.dataset import _elements

        a = self.attrs
        key = a["key"]
        caps = [values[t["input"]] for t in a["captures"]]
        state = [values[t["input"]] for t in a["init"]]
        plan = ctx.subplan((a["key"], "reduce"), a["body"].outputs, a["body"].args)
        for e in _elements(a["tree"], list(values), ctx, key):
            state = list(plan.run(state + list(e) + caps))
        return state


def reduce_dataset(dataset: Any, initial_state: Any, reduce_func: Any) -> Any:
    from flowzero.data.dataset import _collect, _iterator_ids
    from flowzero.data.transforms import _body
    from flowzero.framework.graph import convert_to_tensor

    init = [convert_to_tensor(t) for t in nest.flatten(initial_state)]
    body, state, element = _body(
        dataset, "reduce", [spec(t.shape, t.dtype) for t in init], initial_state
    )
    with body.building():
        # the element as one argument (a tuple is not unpacked), as TF
        new = [convert_to_tensor(t) for t in nest.flatten(reduce_func(state, element))]
    if [t.dtype for t in new] != [t.dtype for t in init]:
        raise TypeError(
            f"Dataset.reduce: reduce_func must return the state's types "
            f"{[t.dtype.name for t in init]}; got {[t.dtype.name for t in new]}."
        )
    body.close(new)
    tensors: list[Tensor] = []
    node = {"tree": dataset._node, "captures": list(body.captures), "init": init}
    tree = _collect(node, tensors)
    attrs = {
        **tree,
        "body": body,
        "key": f"reduce_{next(_iterator_ids)}",
        "out_specs": [(t.shape, t.dtype) for t in init],
    }
    outs = apply_op(ReduceDataset, tensors, attrs, name="ReduceDataset")
    outs = outs if isinstance(outs, list) else [outs]
    return nest.pack_sequence_as(initial_state, outs)


# -- string handles -----------------------------------------------------------------------------
@register_op("IteratorToStringHandle")
class IteratorToStringHandle(OpDef):
    """h = the handle of an iterator (a string that a feedable iterator's get_next reads)."""

    needs_context = True
    stateful = True
    differentiable = False

    def infer(self, *tensors: Tensor) -> TensorSpec:
        return spec([], dtypes.string)

    def compute(self, ctx: RunContext, *values: Any) -> np.ndarray:
        from flowzero.data.dataset import _elements

        a = self.attrs
        if a["one_shot"] and a["key"] not in ctx.iterators:  # a one-shot one starts here
            with ctx.iterator_lock:
                if a["key"] not in ctx.iterators:
                    ctx.iterators[a["key"]] = _elements(a["tree"], list(values), ctx, a["key"])
        return np.array(a["key"].encode(), dtype=object)


def string_handle(iterator: Any, name: str | None = None) -> Tensor:
    one_shot = iterator._initializer is None and not iterator._reinitializable
    return apply_op(
        IteratorToStringHandle,
        iterator._tensors if one_shot else [],
        {
            "tree": iterator._attrs["tree"],
            "key": iterator._key,
            "one_shot": one_shot,
            "out_specs": iterator._attrs["out_specs"],  # (its TF form's iterator node)
        },
        name=name or "IteratorToStringHandle",
    )


def check_handle_element(key: str, got: list[Any], out_specs: list[Any]) -> None:
    """The element an iterator reached by handle yields must have the feedable iterator's
    types."""
    want = [d for _, d in out_specs]
    ok = len(got) == len(want) and all(
        (np.asarray(v).dtype == object) == (d is dtypes.string)
        and (d is dtypes.string or np.asarray(v).dtype == d.np)
        for v, d in zip(got, want)
    )
    if not ok:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"IteratorGetNext: the iterator with handle '{key}' yields "
            f"{[np.asarray(v).dtype.name for v in got]}; this iterator (from_string_handle) "
            f"expects {[d.name for d in want]}.",
        )


# -- eager: NumPy values ------------------------------------------------------------------------
class NumpyIterator:
    """`tf.data.NumpyIterator` (what `dataset.as_numpy_iterator()` returns): the dataset's
    elements, in their structure, as NumPy values. Eager execution only, as TF: in a graph,
    make an iterator and run its get_next in a Session."""

    def __init__(self, dataset: Any) -> None:
        if not getattr(get_default_graph(), "_eager", False):
            raise RuntimeError(
                "as_numpy_iterator() is only supported in eager mode (tf.enable_eager_execution"
                "()); in a graph, run dataset.make_one_shot_iterator().get_next() in a Session."
            )
        self._elements: PyIterator[Any] = dataset._eager_elements()

    def __iter__(self) -> NumpyIterator:
        return self

    def __next__(self) -> Any:
        from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue

        def value(t: Any) -> Any:
            if isinstance(t, SparseTensor):
                return SparseTensorValue(*[p.numpy() for p in t._components()])
            return t.numpy()

        return nest.map_structure(value, next(self._elements))

    def next(self) -> Any:
        return self.__next__()


# -- DatasetSpec and the structure getters --------------------------------------------------------
class DatasetSpec:
    """`tf.data.DatasetSpec(element_spec, dataset_shape=())`: the type of a dataset, its
    element structure of tf.TensorSpecs.

    Example:
        >>> tf.data.DatasetSpec.from_value(tf.data.Dataset.range(3)).element_spec
        TensorSpec(shape=(), dtype=tf.int64, name=None)
    """

    def __init__(self, element_spec: Any, dataset_shape: Any = ()) -> None:
        from flowzero.framework.shapes import TensorShape

        self._element_spec = element_spec
        self._dataset_shape = TensorShape(dataset_shape)

    @property
    def element_spec(self) -> Any:
        return self._element_spec

    @property
    def shape(self) -> Any:
        return self._dataset_shape

    @property
    def value_type(self) -> type:
        from flowzero.data.dataset import Dataset

        return Dataset

    @staticmethod
    def from_value(value: Any) -> DatasetSpec:
        """The spec of a Dataset."""
        return DatasetSpec(value.element_spec)

    def _key(self) -> tuple[Any, ...]:
        flat = nest.flatten(self._element_spec)
        return (
            nest.structure_string(nest.map_structure(lambda _: 0, self._element_spec)),
            tuple((s.dtype, tuple(s.shape.as_list() or ()) if s.shape.ndims else s.shape.ndims)
                  for s in flat),
            self._dataset_shape.as_list() if self._dataset_shape.ndims is not None else None,
        )  # fmt: skip

    def is_compatible_with(self, spec_or_value: Any) -> bool:
        """Whether a Dataset or DatasetSpec has elements of the same structure and dtypes, and
        shapes compatible with these."""
        other = spec_or_value
        if not isinstance(other, DatasetSpec):
            if not hasattr(other, "element_spec"):
                return False
            other = DatasetSpec.from_value(other)
        a, b = nest.flatten(self._element_spec), nest.flatten(other._element_spec)
        return (
            self._key()[0] == other._key()[0]
            and len(a) == len(b)
            and all(
                x.dtype == y.dtype and x.shape.is_compatible_with(y.shape) for x, y in zip(a, b)
            )
        )

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, DatasetSpec) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(repr(self._key()))

    def __repr__(self) -> str:
        return f"DatasetSpec({self._element_spec!r}, {self._dataset_shape!r})"


def _structure_of(what: str, dataset_or_iterator: Any) -> Any:
    try:
        return getattr(dataset_or_iterator, what)
    except AttributeError:
        raise TypeError(
            f"get_{what}: expected a tf.data.Dataset or Iterator; got {dataset_or_iterator!r}."
        ) from None


def get_output_classes(dataset_or_iterator: Any) -> Any:
    """The element's structure with tf.Tensor at each component (TF1's output_classes)."""
    return _structure_of("output_classes", dataset_or_iterator)


def get_output_shapes(dataset_or_iterator: Any) -> Any:
    """The element's structure of TensorShapes."""
    return _structure_of("output_shapes", dataset_or_iterator)


def get_output_types(dataset_or_iterator: Any) -> Any:
    """The element's structure of DTypes."""
    return _structure_of("output_types", dataset_or_iterator)


__all__ = [
    "AUTOTUNE",
    "DatasetSpec",
    "INFINITE_CARDINALITY",
    "NumpyIterator",
    "UNKNOWN_CARDINALITY",
    "get_output_classes",
    "get_output_shapes",
    "get_output_types",
]
