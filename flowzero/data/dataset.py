"""tf.data.Dataset and its iterators, as TF1 programs use them.

A Dataset is a description: a tree of nodes (source tensors, then transformations), built in
Python. An iterator turns it into graph ops: `IteratorGetNext` (and, for an initializable
iterator, `MakeIterator`, its initializer), whose attrs hold the tree (a graph file stores it)
and whose inputs are the tree's tensors. At run time the session keeps each iterator's state
(a Python generator over NumPy values) in its RunContext; `map` and `filter` functions are
function Bodies (framework/function.py), planned once and run per element.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from flowzero.data.structure import (
    SparseLeaf,
    flatten_result,
    leaf_map,
    pack,
    shift,
    sparse_leaves,
)
from flowzero.framework import dtypes, errors, nest
from flowzero.framework.function import Body
from flowzero.framework.graph import (
    Tensor,
    apply_op,
    convert_to_tensor,
    get_default_graph,
)
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue
from flowzero.ops import cast_ops
from flowzero.ops.common import static_value
from flowzero.runtime.state import RunContext

_iterator_ids = itertools.count()
# Node kinds whose run-time code lives in another module (flowzero/data/transforms.py):
# op -> runner(node, values, ctx, key) returning the element iterator.
NODE_RUNNERS: dict[str, Callable[..., PyIterator[tuple[Any, ...]]]] = {}
_TRANSFORM_NODES = frozenset({"choose", "sample", "scan", "take_while", "unique", "sparse_slices"})


def _lists_as_tensors(value: Any) -> Any:
    """NOTE: tf.data's structures are tuples, dicts and namedtuples; a Python list is one
    component (a tensor), as TF: from_tensor_slices([1, 2, 3]) has three scalar elements."""
    if isinstance(value, list):
        return convert_to_tensor(value)
    if isinstance(value, dict):
        return {k: _lists_as_tensors(v) for k, v in value.items()}
    if isinstance(value, tuple):
        items = [_lists_as_tensors(v) for v in value]
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


class Dataset:
    """A pipeline of elements: each element a (nested) structure of tensors."""

    _options: Any = None  # tf.data.Options set by with_options (None: none set)

    def __init__(self, node: dict[str, Any], structure: Any, specs: list[TensorSpec]) -> None:
        self._node = node
        self._structure = structure  # the element's nesting, leaves are indices into specs
        self._specs = specs

    # -- facts ---------------------------------------------------------------------------------
    @property
    def output_types(self) -> Any:
        sp = self._specs
        return leaf_map(self._structure, lambda i: sp[i].dtype, lambda s: sp[s.parts[1]].dtype)

    @property
    def output_shapes(self) -> Any:
        sp = self._specs
        return leaf_map(self._structure, lambda i: sp[i].shape, lambda s: s.shape)

    @property
    def output_classes(self) -> Any:
        return leaf_map(self._structure, lambda i: Tensor, lambda s: SparseTensor)

    @property
    def element_spec(self) -> Any:
        """The element's structure of tf.TensorSpecs (shape and dtype of each component)."""
        from flowzero.framework.sparse_tensor import SparseTensorSpec
        from flowzero.framework.specs import TensorSpec as PublicSpec

        sp = self._specs
        return leaf_map(
            self._structure,
            lambda i: PublicSpec(sp[i].shape, sp[i].dtype),
            lambda s: SparseTensorSpec(s.shape, sp[s.parts[1]].dtype),
        )

    def _derive(
        self, node: dict[str, Any], specs: list[TensorSpec] | None = None, structure: Any = None
    ) -> Dataset:
        out = Dataset(
            node,
            self._structure if structure is None else structure,
            self._specs if specs is None else specs,
        )
        out._options = self._options
        return out

    # -- options, size, transformations from functions (flowzero/data/experimental.py) ---------
    def options(self) -> Any:
        """The tf.data.Options set on this dataset and its inputs (merged)."""
        from flowzero.data.options import Options

        return Options() if self._options is None else self._options

    def with_options(self, options: Any) -> Dataset:
        """This dataset with `options` merged into its options (a later setting wins)."""
        out = self._derive(self._node)
        out._options = self.options().merge(options)
        return out

    def cardinality(self) -> Tensor:
        """An int64 scalar: the number of elements, or tf.data.INFINITE_CARDINALITY (-1), or
        tf.data.UNKNOWN_CARDINALITY (-2) where it cannot be known without running the
        pipeline (filter, flat_map, a generator, files)."""
        from flowzero.data.dataset_ops import cardinality

        return cardinality(self)

    def apply(self, transformation_func: Callable[[Dataset], Dataset]) -> Dataset:
        """`transformation_func(self)`, which must return a Dataset (the tf.data.experimental
        transformations are such functions)."""
        out = transformation_func(self)
        if not isinstance(out, Dataset):
            raise TypeError(
                f"Dataset.apply: transformation_func must return a Dataset; got "
                f"{type(out).__name__}."
            )
        return out

    def unbatch(self) -> Dataset:
        """The slices of each element along its first axis, as elements of their own (the
        inverse of batch)."""
        if sparse_leaves(self._structure):
            raise TypeError("Dataset.unbatch: elements with SparseTensor parts are not supported.")
        for s in self._specs:
            if s.shape.ndims == 0:
                raise ValueError("Dataset.unbatch: cannot unbatch an element with scalar parts.")
        specs = [
            spec(TensorShape(None if s.shape.known is None else s.shape.known[1:]), s.dtype)
            for s in self._specs
        ]
        return self._derive({"op": "unbatch", "child": self._node}, specs)

    def reduce(self, initial_state: Any, reduce_func: Callable[..., Any]) -> Any:
        """The state after `reduce_func(state, element) -> new state` has seen every element,
        from `initial_state` (tensors of its structure; a tuple element is one argument).

        Example:
            >>> total = tf.data.Dataset.range(5).reduce(np.int64(0), lambda s, x: s + x)
            >>> print(tf.Session().run(total))
            10
        """
        from flowzero.data.dataset_ops import reduce_dataset

        return reduce_dataset(self, initial_state, reduce_func)

    def as_numpy_iterator(self) -> Any:
        """The elements as NumPy values (eager execution only, as TF)."""
        from flowzero.data.dataset_ops import NumpyIterator

        return NumpyIterator(self)

    # -- sources -------------------------------------------------------------------------------
    @staticmethod
    def from_tensor_slices(tensors: Any) -> Dataset:
        """The elements are the slices of `tensors` along their first axis (a SparseTensor's
        rows are SparseTensors of one rank less)."""
        tensors = _lists_as_tensors(tensors)
        if any(isinstance(x, (SparseTensor, SparseTensorValue)) for x in nest.flatten(tensors)):
            from flowzero.data.transforms import sparse_slices

            return sparse_slices(tensors)
        flat = [convert_to_tensor(t) for t in nest.flatten(tensors)]
        firsts = {t.shape.known[0] for t in flat if t.shape.known and t.shape.known[0] is not None}
        if len(firsts) > 1:
            raise ValueError(
                f"Dataset.from_tensor_slices: the tensors' first dimensions "
                f"differ: {sorted(firsts)}."
            )
        for t in flat:
            if t.shape.ndims == 0:
                raise ValueError(
                    f"Dataset.from_tensor_slices: '{t.name}' is a scalar; slicing needs rank >= 1."
                )
        specs = [
            spec(TensorShape(None if t.shape.known is None else t.shape.known[1:]), t.dtype)
            for t in flat
        ]
        return Dataset({"op": "slices", "tensors": flat}, _indices(tensors), specs)

    @staticmethod
    def from_tensors(tensors: Any) -> Dataset:
        """One element: `tensors` itself (Tensors and SparseTensors)."""
        structure, flat = flatten_result(_lists_as_tensors(tensors))
        return Dataset(
            {"op": "tensors", "tensors": flat}, structure, [spec(t.shape, t.dtype) for t in flat]
        )

    @staticmethod
    def from_generator(
        generator: Callable[..., Any],
        output_types: Any,
        output_shapes: Any = None,
        args: Any = None,
    ) -> Dataset:
        """The elements a Python generator yields (`generator(*args)` called anew at each
        iterator initialization), converted to `output_types` and checked against
        `output_shapes`. A graph holding one cannot be written to a graph file (as py_func)."""
        if not callable(generator):
            raise TypeError(
                f"Dataset.from_generator: generator must be callable; got {generator!r}."
            )
        types = [dtypes.as_dtype(t) for t in nest.flatten(output_types)]
        shapes = (
            [TensorShape(None)] * len(types)
            if output_shapes is None
            else [
                sh if isinstance(sh, TensorShape) else TensorShape(sh)
                for sh in _flatten_up_to(output_types, output_shapes)
            ]
        )
        arg_tensors = [convert_to_tensor(a) for a in (args or [])]
        specs = [spec(sh, t) for sh, t in zip(shapes, types)]
        return Dataset(
            {
                "op": "generator",
                "fn": generator,
                "args": arg_tensors,
                "types": types,
                "shapes": shapes,
                "structure": _indices(output_types),
            },
            _indices(output_types),
            specs,
        )

    @staticmethod
    def range(*args: Any) -> Dataset:
        """int64 elements range(start, stop, step), as Python's range; the bounds may be
        scalar tensors (e.g. inside flat_map's function)."""
        if any(isinstance(a, Tensor) for a in args):
            if not 1 <= len(args) <= 3:
                raise TypeError(f"Dataset.range takes 1 to 3 arguments; got {len(args)}.")
            full = [0, *args, 1][-3:] if len(args) == 1 else [*args, 1][:3]
            bounds = [cast_ops.cast(convert_to_tensor(a), dtypes.int64) for a in full]
            node = {"op": "range", "start": bounds[0], "stop": bounds[1], "step": bounds[2]}
        else:
            r = range(*[int(a) for a in args])
            node = {"op": "range", "start": r.start, "stop": r.stop, "step": r.step}
        return Dataset(node, 0, [spec([], dtypes.int64)])

    @staticmethod
    def zip(datasets: Any) -> Dataset:
        """Elements that pair up the elements of `datasets` (a structure of datasets)."""
        flat = nest.flatten(datasets)
        specs, offset, parts = [], 0, []
        options = None
        for d in flat:
            if d._options is not None:
                options = d._options if options is None else options.merge(d._options)
            parts.append(shift(d._structure, offset))
            specs += d._specs
            offset += len(d._specs)
        out = Dataset(
            {"op": "zip", "children": [d._node for d in flat]},
            nest.pack_sequence_as(datasets, parts),
            specs,
        )
        out._options = options
        return out

    # -- transformations -----------------------------------------------------------------------
    def batch(self, batch_size: int, drop_remainder: bool = False) -> Dataset:
        """Consecutive elements stacked along a new first axis."""
        n = int(batch_size)
        if n <= 0:
            raise ValueError(f"Dataset.batch: batch_size must be positive; got {batch_size}.")
        first = n if drop_remainder else None
        specs = [spec(TensorShape([first]).concatenate(s.shape), s.dtype) for s in self._specs]
        structure = self._structure
        groups = [leaf.parts for leaf in sparse_leaves(structure)]
        if groups:  # a SparseTensor batches to one of rank + 1: [batch, ...]
            for ind, val, shp in groups:
                rank = self._specs[shp].shape.known
                r = None if rank is None or rank[0] is None else rank[0] + 1
                specs[ind] = spec([None, r], dtypes.int64)
                specs[val] = spec([None], self._specs[val].dtype)
                specs[shp] = spec([r], dtypes.int64)
            structure = leaf_map(
                structure,
                lambda i: i,
                lambda leaf: SparseLeaf(leaf.parts, TensorShape([first]).concatenate(leaf.shape)),
            )
        node = {"op": "batch", "child": self._node, "n": n, "drop": bool(drop_remainder)}
        if groups:
            node["sparse"] = [list(g) for g in groups]
        return self._derive(node, specs, structure)

    def padded_batch(
        self,
        batch_size: int,
        padded_shapes: Any,
        padding_values: Any = None,
        drop_remainder: bool = False,
    ) -> Dataset:
        """Batches of elements padded to a common shape: each component to its
        `padded_shapes` entry (None or -1 dims: the longest in the batch), with
        `padding_values` (default 0)."""
        n = int(batch_size)
        if n <= 0:
            raise ValueError(
                f"Dataset.padded_batch: batch_size must be positive; got {batch_size}."
            )
        if sparse_leaves(self._structure):
            raise TypeError(
                "Dataset.padded_batch: elements with SparseTensor parts are not supported; "
                "use batch (SparseTensors batch without padding)."
            )
        shapes = [
            TensorShape(p) if not isinstance(p, TensorShape) else p
            for p in _flatten_up_to(self._structure, padded_shapes)
        ]
        if len(shapes) != len(self._specs):
            raise ValueError(
                f"Dataset.padded_batch: padded_shapes has {len(shapes)} "
                f"components; the elements have {len(self._specs)}."
            )
        dims = [[None if d is None or d < 0 else int(d) for d in (sh.known or [])] for sh in shapes]
        for d, s in zip(dims, self._specs):
            if s.shape.ndims is not None and len(d) != s.shape.ndims:
                raise ValueError(
                    f"Dataset.padded_batch: padded shape {d} does not match the "
                    f"rank of the component's shape {s.shape}."
                )
        pads = (
            [0] * len(shapes)
            if padding_values is None
            else _flatten_up_to(self._structure, padding_values)
        )
        first = n if drop_remainder else None
        specs = [spec(TensorShape([first, *d]), s.dtype) for d, s in zip(dims, self._specs)]
        return self._derive(
            {
                "op": "padded_batch",
                "child": self._node,
                "n": n,
                "drop": bool(drop_remainder),
                "dims": dims,
                "pads": [_constant_pad(p) for p in pads],
            },
            specs,
        )

    def shuffle(
        self, buffer_size: int, seed: int | None = None, reshuffle_each_iteration: bool = True
    ) -> Dataset:
        """Elements drawn at random from a buffer of the next `buffer_size`."""
        if int(buffer_size) <= 0:
            raise ValueError(f"Dataset.shuffle: buffer_size must be positive; got {buffer_size}.")
        return self._derive(
            {
                "op": "shuffle",
                "child": self._node,
                "buffer": int(buffer_size),
                "seed": None if seed is None else int(seed),
                "reshuffle": bool(reshuffle_each_iteration),
            }
        )

    def repeat(self, count: int | None = None) -> Dataset:
        """The elements `count` times over (forever for None or -1)."""
        c = -1 if count is None else int(count)
        return self._derive({"op": "repeat", "child": self._node, "count": c})

    def take(self, count: int) -> Dataset:
        return self._derive({"op": "take", "child": self._node, "count": int(count)})

    def skip(self, count: int) -> Dataset:
        return self._derive({"op": "skip", "child": self._node, "count": int(count)})

    def prefetch(self, buffer_size: Any = None) -> Dataset:
        """Accepted: elements are produced on demand in the session's thread."""
        return self

    def cache(self, filename: str = "") -> Dataset:
        """Accepted: sources are in memory already."""
        return self

    def map(self, map_func: Callable[..., Any], num_parallel_calls: Any = None) -> Dataset:
        """Each element through `map_func` (graph ops built once, run per element)."""
        body, result = self._body(map_func, "map")
        structure, outs = flatten_result(result)
        body.close(outs)
        return self._derive(
            {"op": "map", "child": self._node, "body": body, "captures": list(body.captures)},
            [spec(t.shape, t.dtype) for t in body.outputs],
            structure,
        )

    def filter(self, predicate: Callable[..., Any]) -> Dataset:
        """The elements for which `predicate` returns a true bool scalar."""
        body, result = self._body(predicate, "filter")
        pred = convert_to_tensor(result)
        if pred.dtype is not dtypes.bool or pred.shape.ndims not in (None, 0):
            raise TypeError(
                f"Dataset.filter: predicate must return a bool scalar; got "
                f"{pred.dtype.name} of shape {pred.shape}."
            )
        body.close([pred])
        return self._derive(
            {"op": "filter", "child": self._node, "body": body, "captures": list(body.captures)}
        )

    def flat_map(self, map_func: Callable[..., Any]) -> Dataset:
        """Each element through `map_func`, which returns a Dataset; their elements in order.

        Example:
            >>> rows = [[1, 2], [3, 4]]
            >>> ds = tf.data.Dataset.from_tensor_slices(rows).flat_map(
            ...     lambda row: tf.data.Dataset.from_tensor_slices(row))   # every entry
            >>> nxt = ds.make_one_shot_iterator().get_next()
            >>> sess = tf.Session()
            >>> [int(sess.run(nxt)) for _ in range(4)]
            [1, 2, 3, 4]
        """
        return self._nested("flat_map", map_func, {})

    def interleave(
        self,
        map_func: Callable[..., Any],
        cycle_length: int = 1,
        block_length: int = 1,
        num_parallel_calls: Any = None,
    ) -> Dataset:
        """Like flat_map, but `cycle_length` of the returned datasets at a time, taking
        `block_length` elements from each in turn (an exhausted one is replaced by the next
        element's dataset), as TF1's interleave."""
        if int(cycle_length) < 1 or int(block_length) < 1:
            raise ValueError(
                f"Dataset.interleave: cycle_length and block_length must be >= 1; "
                f"got {cycle_length} and {block_length}."
            )
        return self._nested(
            "interleave", map_func, {"cycle": int(cycle_length), "block": int(block_length)}
        )

    def _nested(self, op: str, map_func: Callable[..., Any], extra: dict[str, Any]) -> Dataset:
        body, result = self._body(map_func, op)
        if not isinstance(result, Dataset):
            raise TypeError(
                f"Dataset.{op}: map_func must return a Dataset; got {type(result).__name__}."
            )
        inner: list[Tensor] = []
        tree = _collect(result._node, inner)
        body.close([convert_to_tensor(t) for t in inner])
        node = {
            "op": op,
            "child": self._node,
            "body": body,
            "captures": list(body.captures),
            "inner": tree,
            **extra,
        }
        return self._derive(node, result._specs, result._structure)

    def _body(self, fn: Callable[..., Any], what: str) -> tuple[Body, Any]:
        g = get_default_graph()
        body = Body(g, g.unique_name(f"Dataset_{what}"))
        with body.building():
            args = [body.add_arg(s.shape, s.dtype, f"arg_{k}") for k, s in enumerate(self._specs)]
            element = pack(self._structure, args)
            if isinstance(element, tuple) and not hasattr(element, "_fields"):
                result = fn(*element)
            else:
                result = fn(element)
        return body, result

    # -- iterators -----------------------------------------------------------------------------
    def make_one_shot_iterator(self) -> Iterator:
        return Iterator(self, initializable=False)

    def make_initializable_iterator(self, shared_name: str | None = None) -> Iterator:
        return Iterator(self, initializable=True)

    def __iter__(self) -> PyIterator[Any]:
        if not getattr(get_default_graph(), "_eager", False):
            raise TypeError(
                "tf.data.Dataset is not iterable in graph mode: make an iterator "
                "(dataset.make_one_shot_iterator()) and run its get_next()."
            )
        return self._eager_elements()

    def _eager_elements(self) -> PyIterator[Any]:
        # Eager execution: each get_next() runs at once; the end of the data ends the loop.
        it = self.make_one_shot_iterator()
        while True:
            try:
                yield it.get_next()
            except errors.OutOfRangeError:
                return


def _constant_pad(p: Any) -> float:
    if isinstance(p, Tensor):
        v = static_value(p)
        if v is None:
            raise ValueError(f"Dataset.padded_batch: padding value '{p.name}' must be a constant.")
        p = v
    return float(np.asarray(p))


def _flatten_up_to(structure: Any, value: Any) -> list[Any]:
    """`value`'s parts at the leaves of `structure` (a leaf of value may itself be a list, as
    a shape [None, 3] is)."""
    if not nest.is_sequence(structure):
        return [value]
    keys = sorted(structure) if isinstance(structure, dict) else range(len(structure))
    try:
        return [x for k in keys for x in _flatten_up_to(structure[k], value[k])]
    except (KeyError, IndexError, TypeError):
        raise ValueError(
            f"{value!r} does not have the structure of the dataset's elements "
            f"({nest.structure_string(structure)})."
        ) from None


def _indices(structure: Any) -> Any:
    flat = nest.flatten(structure)
    return nest.pack_sequence_as(structure, list(range(len(flat))))


def _collect(node: Any, tensors: list[Tensor]) -> Any:
    """A copy of the tree with every Tensor replaced by {"input": k} (k into `tensors`)."""
    if isinstance(node, Tensor):
        if node not in tensors:
            tensors.append(node)
        return {"input": tensors.index(node)}
    if isinstance(node, dict):
        return {k: _collect(v, tensors) for k, v in node.items()}
    if isinstance(node, list):
        return [_collect(v, tensors) for v in node]
    return node


class Iterator:
    """`dataset.make_one_shot_iterator()` / `make_initializable_iterator()`, or a reinitializable
    one from `Iterator.from_structure(types, shapes)` whose `make_initializer(dataset)` points
    it at any dataset of that structure (switching between training and validation data)."""

    @staticmethod
    def from_structure(
        output_types: Any,
        output_shapes: Any = None,
        shared_name: str | None = None,
        output_classes: Any = None,
    ) -> Iterator:
        flat_types = [dtypes.as_dtype(t) for t in nest.flatten(output_types)]
        flat_shapes = (
            [TensorShape(None)] * len(flat_types)
            if output_shapes is None
            else [
                s if isinstance(s, TensorShape) else TensorShape(s)
                for s in nest.flatten(output_shapes)
            ]
        )
        if len(flat_shapes) != len(flat_types):
            raise ValueError(
                "Iterator.from_structure: output_types and output_shapes have different structures."
            )
        classes = None if output_classes is None else nest.flatten(output_classes)
        if classes is not None and len(classes) != len(flat_types):
            raise ValueError(
                "Iterator.from_structure: output_types and output_classes have different "
                "structures."
            )
        specs: list[TensorSpec] = []
        leaves: list[Any] = []
        for k, (sh, t) in enumerate(zip(flat_shapes, flat_types)):
            if classes is not None and classes[k] is SparseTensor:  # three tensors
                r = sh.ndims
                leaves.append(SparseLeaf(range(len(specs), len(specs) + 3), sh))
                specs += [spec([None, r], dtypes.int64), spec([None], t), spec([r], dtypes.int64)]
            else:
                leaves.append(len(specs))
                specs.append(spec(sh, t))
        proto = Dataset({"op": "unset"}, nest.pack_sequence_as(output_types, leaves), specs)
        it = Iterator.__new__(Iterator)
        it._dataset = proto
        it._key = f"iterator_{next(_iterator_ids)}"
        it._attrs = {
            "tree": {"op": "unset"},
            "key": it._key,
            "out_specs": [(s.shape, s.dtype) for s in proto._specs],
        }
        it._tensors = []
        it._initializer = None
        it._reinitializable = True
        it._handle = None
        return it

    @staticmethod
    def from_string_handle(
        string_handle: Any,
        output_types: Any,
        output_shapes: Any = None,
        output_classes: Any = None,
    ) -> Iterator:
        """A feedable iterator: its get_next reads the iterator whose handle (from
        `iterator.string_handle()`) `string_handle`, a string scalar, holds at run time;
        feeding another handle switches between datasets of the same structure.

        Example:
            >>> ds = tf.data.Dataset.range(3)
            >>> train_it = ds.make_one_shot_iterator()
            >>> handle = tf.placeholder(tf.string, [])
            >>> it = tf.data.Iterator.from_string_handle(handle, ds.output_types)
            >>> sess = tf.Session()
            >>> h = sess.run(train_it.string_handle())
            >>> print(sess.run(it.get_next(), {handle: h}))
            0
        """
        it = Iterator.from_structure(output_types, output_shapes, None, output_classes)
        handle = convert_to_tensor(string_handle, dtype=dtypes.string)
        if handle.shape.ndims not in (None, 0):
            raise ValueError(
                f"Iterator.from_string_handle: string_handle must be a scalar; got shape "
                f"{handle.shape}."
            )
        it._handle = handle
        return it

    def string_handle(self, name: str | None = None) -> Tensor:
        """A string scalar naming this iterator at run time, to feed a feedable iterator
        (Iterator.from_string_handle). Running it starts a one-shot iterator."""
        from flowzero.data.dataset_ops import string_handle

        return string_handle(self, name)

    def make_initializer(self, dataset: Dataset, name: str | None = None) -> Any:
        """The op that (re)starts this iterator over `dataset` (same types, compatible
        shapes)."""
        mine = self._dataset._specs
        if len(dataset._specs) != len(mine) or any(
            a.dtype is not b.dtype or not a.shape.is_compatible_with(b.shape)
            for a, b in zip(dataset._specs, mine)
        ):
            raise TypeError(
                "Iterator.make_initializer: the dataset's elements "
                f"{[(s.dtype.name, str(s.shape)) for s in dataset._specs]} do not match the "
                f"iterator's {[(s.dtype.name, str(s.shape)) for s in mine]}."
            )
        tensors: list[Tensor] = []
        tree = _collect(dataset._node, tensors)
        return apply_op(
            MakeIterator,
            tensors,
            {"tree": tree, "key": self._key, "out_specs": self._attrs["out_specs"]},
            name=name or "make_initializer",
        )

    _handle: Tensor | None = None  # from_string_handle: the handle tensor get_next reads

    def __init__(self, dataset: Dataset, initializable: bool) -> None:
        self._reinitializable = False
        self._dataset = dataset
        self._key = f"iterator_{next(_iterator_ids)}"
        tensors: list[Tensor] = []
        tree = _collect(dataset._node, tensors)
        self._attrs = {
            "tree": tree,
            "key": self._key,
            "out_specs": [(s.shape, s.dtype) for s in dataset._specs],
        }
        self._tensors = tensors
        self._initializer = None
        if initializable:
            self._initializer = apply_op(
                MakeIterator, tensors, dict(self._attrs), name="MakeIterator"
            )

    @property
    def initializer(self) -> Any:
        if self._initializer is None and self._reinitializable:
            raise ValueError(
                "An iterator from Iterator.from_structure has no initializer of "
                "its own; use iterator.make_initializer(dataset)."
            )
        if self._initializer is None:
            raise ValueError(
                "A one-shot iterator has no initializer; use "
                "make_initializable_iterator() to re-initialize."
            )
        return self._initializer

    @property
    def output_types(self) -> Any:
        return self._dataset.output_types

    @property
    def output_shapes(self) -> Any:
        return self._dataset.output_shapes

    @property
    def output_classes(self) -> Any:
        return self._dataset.output_classes

    @property
    def element_spec(self) -> Any:
        return self._dataset.element_spec

    def get_next(self, name: str | None = None) -> Any:
        """The next element, as tensors in the dataset's structure (OutOfRangeError at the
        end)."""
        one_shot = self._initializer is None and not self._reinitializable
        by_handle = self._handle is not None
        outs = apply_op(
            IteratorGetNext,
            [self._handle] if by_handle else self._tensors if one_shot else [],
            dict(self._attrs, one_shot=one_shot, by_handle=by_handle),
            name=name or "IteratorGetNext",
        )
        outs = outs if isinstance(outs, list) else [outs]
        return pack(self._dataset._structure, outs)


def make_one_shot_iterator(dataset: Dataset) -> Iterator:
    """`tf.compat.v1.data.make_one_shot_iterator(dataset)`."""
    return dataset.make_one_shot_iterator()


def make_initializable_iterator(dataset: Dataset, shared_name: str | None = None) -> Iterator:
    """`tf.compat.v1.data.make_initializable_iterator(dataset)`."""
    return dataset.make_initializable_iterator()


# -- run time ----------------------------------------------------------------------------------
def _elements(
    node: dict[str, Any], values: list[Any], ctx: RunContext, key: str
) -> PyIterator[tuple[Any, ...]]:
    op = node["op"]
    runner = NODE_RUNNERS.get(op)
    if (
        runner is None and op in _TRANSFORM_NODES
    ):  # a graph file's node, before tf.data.experimental
        import flowzero.data.transforms  # noqa: F401 - registers the runners

        runner = NODE_RUNNERS.get(op)
    if runner is not None:
        return runner(node, values, ctx, key)
    if op == "slices":
        arrays = [values[t["input"]] for t in node["tensors"]]
        n = arrays[0].shape[0]
        if any(a.shape[0] != n for a in arrays):
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Dataset.from_tensor_slices: the components' first dimensions "
                f"differ: {[a.shape[0] for a in arrays]}.",
            )
        return (tuple(a[i] for a in arrays) for i in range(n))
    if op == "tensors":
        return iter([tuple(values[t["input"]] for t in node["tensors"])])
    if op == "generator":
        return _generated(node, [values[t["input"]] for t in node["args"]])
    if op == "range":
        b = [
            int(values[x["input"]]) if isinstance(x, dict) else x
            for x in (node["start"], node["stop"], node["step"])
        ]
        if b[2] == 0:
            raise errors.InvalidArgumentError(None, None, "Dataset.range: step must not be 0.")
        return ((np.int64(i),) for i in range(*b))
    if op == "files":  # TFRecordDataset, TextLineDataset, FixedLengthRecordDataset
        from flowzero.data.readers import file_elements

        return file_elements(node, values[node["filenames"]["input"]])
    if op == "zip":
        kids = [_elements(c, values, ctx, key) for c in node["children"]]
        return (tuple(v for part in parts for v in part) for parts in zip(*kids))
    child = node["child"]
    if op == "batch":
        fast = _sliced_batches(child, values, node["n"], node["drop"])
        if fast is not None:
            return fast
        src = _elements(child, values, ctx, key)
        if node.get("sparse"):
            return _sparse_batches(src, node["n"], node["drop"], node["sparse"])
        return _batches(src, node["n"], node["drop"])
    if op == "padded_batch":
        return _padded_batches(_elements(child, values, ctx, key), node)
    if op == "shuffle":
        return _shuffled(lambda: _elements(child, values, ctx, key), node, ctx, key)
    if op == "repeat":
        return _repeated(lambda: _elements(child, values, ctx, key), node["count"])
    if op == "take":
        return (
            itertools.islice(_elements(child, values, ctx, key), max(node["count"], 0))
            if node["count"] >= 0
            else _elements(child, values, ctx, key)
        )
    if op == "skip":
        return itertools.islice(_elements(child, values, ctx, key), max(node["count"], 0), None)
    if op == "unbatch":
        return _unbatched(_elements(child, values, ctx, key))
    if op == "ignore_errors":  # the map and filter nodes below it skip failing elements
        return _elements(child, values, ctx, key)
    if op in ("flat_map", "interleave"):
        return _nested_elements(node, child, values, ctx, key)
    if op in ("map", "filter"):
        body: Body = node["body"]
        caps = [values[t["input"]] for t in node["captures"]]
        plan = ctx.subplan((key, op, id(body)), body.outputs, body.args)
        src = _elements(child, values, ctx, key)
        if node.get("tolerant"):
            return _skipping_errors(src, plan, caps, op == "map")
        if op == "map":
            return (tuple(plan.run(list(e) + caps)) for e in src)
        return (e for e in src if bool(plan.run(list(e) + caps)[0]))
    raise errors.DataLossError(None, None, f"unknown dataset node {op!r}")


def _unbatched(src: PyIterator[tuple[Any, ...]]) -> PyIterator[tuple[Any, ...]]:
    for e in src:
        sizes = {np.shape(v)[0] for v in e}
        if len(sizes) > 1:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Dataset.unbatch: the components of an element have different first "
                f"dimensions: {[np.shape(v)[0] for v in e]}.",
            )
        for i in range(sizes.pop() if sizes else 0):
            yield tuple(v[i] for v in e)


def _skipping_errors(
    src: PyIterator[tuple[Any, ...]], plan: Any, caps: list[Any], is_map: bool
) -> PyIterator[tuple[Any, ...]]:
    """map / filter under ignore_errors: an element whose function fails is dropped."""
    for e in src:
        try:
            out = plan.run(list(e) + caps)
        except errors.OpError:
            continue
        if is_map:
            yield tuple(out)
        elif bool(out[0]):
            yield e


def _nested_elements(
    node: dict[str, Any], child: Any, values: list[Any], ctx: RunContext, key: str
) -> PyIterator[tuple[Any, ...]]:
    """flat_map / interleave: each input element's dataset, from the body run on it."""
    body: Body = node["body"]
    caps = [values[t["input"]] for t in node["captures"]]
    plan = ctx.subplan((key, node["op"], id(body)), body.outputs, body.args)
    inner_key = f"{key}/{node['op']}"

    def datasets() -> PyIterator[PyIterator[tuple[Any, ...]]]:
        for e in _elements(child, values, ctx, key):
            yield _elements(node["inner"], plan.run(list(e) + caps), ctx, inner_key)

    if node["op"] == "flat_map":
        return (x for ds in datasets() for x in ds)
    return _interleaved(datasets(), node["cycle"], node["block"])


def _interleaved(
    sources: PyIterator[PyIterator[tuple[Any, ...]]], cycle: int, block: int
) -> PyIterator[tuple[Any, ...]]:
    open_: list[PyIterator[tuple[Any, ...]] | None] = [next(sources, None) for _ in range(cycle)]
    while any(it is not None for it in open_):
        for k, it in enumerate(open_):
            taken = 0
            while it is not None and taken < block:
                x = next(it, None)
                if x is None:  # exhausted: the next input element's dataset takes its place,
                    open_[k] = next(sources, None)  # read from on the next turn (as TF)
                    break
                taken += 1
                yield x


def _sliced_batches(
    child: dict[str, Any], values: list[Any], n: int, drop: bool
) -> PyIterator[tuple[Any, ...]] | None:
    """Batches of from_tensor_slices (possibly repeated) cut as array ranges, not stacked
    element by element: what makes a get_next cost no more than feeding the same batch."""
    count = 1
    if child["op"] == "repeat" and child["child"]["op"] == "slices":
        count, child = child["count"], child["child"]
    if child["op"] != "slices":
        return None
    arrays = [values[t["input"]] for t in child["tensors"]]
    size = arrays[0].shape[0]
    if any(a.shape[0] != size for a in arrays):
        return None  # the element path raises the error
    return _range_batches(arrays, size, count, n, drop)


def _range_batches(
    arrays: list[Any], size: int, count: int, n: int, drop: bool
) -> PyIterator[tuple[Any, ...]]:
    epoch, pos = 0, 0
    if size == 0:
        return
    while count < 0 or epoch < count:
        if pos + n <= size:  # within one epoch: slices (views; batches are read-only use)
            yield tuple(a[pos : pos + n] for a in arrays)
            pos += n
        else:  # across the epoch boundary (or the last, short batch)
            parts: list[list[Any]] = [[] for _ in arrays]
            need = n
            while need and (count < 0 or epoch < count):
                take = min(need, size - pos)
                for part, a in zip(parts, arrays):
                    part.append(a[pos : pos + take])
                need -= take
                pos += take
                if pos == size:
                    epoch, pos = epoch + 1, 0
            if need and drop:
                return
            yield tuple(np.concatenate(p) for p in parts)
            continue
        if pos == size:
            epoch, pos = epoch + 1, 0


def _batches(src: PyIterator[tuple[Any, ...]], n: int, drop: bool) -> PyIterator[tuple[Any, ...]]:
    while True:
        chunk = list(itertools.islice(src, n))
        if not chunk or (drop and len(chunk) < n):
            return
        try:
            yield tuple(np.stack(parts) for parts in zip(*chunk))
        except ValueError as e:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"Dataset.batch: cannot batch elements of different shapes "
                f"({e}); use padded shapes or batch(1).",
            ) from None


def _sparse_batches(
    src: PyIterator[tuple[Any, ...]], n: int, drop: bool, groups: list[list[int]]
) -> PyIterator[tuple[Any, ...]]:
    """Batches whose SparseTensor parts are joined as TF does: the element's position as a new
    first index column, the dense shape the batch size then each dimension's largest."""
    sparse_at = {p for g in groups for p in g}
    while True:
        chunk = list(itertools.islice(src, n))
        if not chunk or (drop and len(chunk) < n):
            return
        out: list[Any] = [None] * len(chunk[0])
        for k in range(len(out)):
            if k not in sparse_at:
                out[k] = np.stack([e[k] for e in chunk])
        for ind, val, shp in groups:
            ranks = {len(e[shp]) for e in chunk}
            if len(ranks) > 1:
                raise errors.InvalidArgumentError(
                    None, None, f"Dataset.batch: SparseTensor elements of different ranks {ranks}."
                )
            out[ind] = np.concatenate(
                [
                    np.concatenate([np.full((len(e[ind]), 1), b, np.int64), e[ind]], axis=1)
                    for b, e in enumerate(chunk)
                ]
            ).reshape(-1, ranks.pop() + 1)
            out[val] = np.concatenate([np.asarray(e[val]) for e in chunk])
            out[shp] = np.concatenate(
                [[len(chunk)], np.max(np.stack([e[shp] for e in chunk]), axis=0)]
            ).astype(np.int64)
        yield tuple(out)


def _element_parts(structure: Any, element: Any, k: int) -> list[Any]:
    try:
        return _flatten_up_to(structure, element)
    except ValueError:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"Dataset.from_generator: element {k} does not have the structure of "
            f"output_types ({nest.structure_string(structure)}).",
        ) from None


def _generated(node: dict[str, Any], args: list[Any]) -> PyIterator[tuple[Any, ...]]:
    types, shapes = node["types"], node["shapes"]
    for k, element in enumerate(node["fn"](*args)):
        parts = _element_parts(node["structure"], element, k)
        out = []
        for j, (v, t, sh) in enumerate(zip(parts, types, shapes)):
            try:
                a = np.asarray(v).astype(t.np, copy=False)
            except (TypeError, ValueError) as e:
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Dataset.from_generator: element {k}, component {j} cannot be a {t.name}: {e}",
                ) from None
            if not sh.is_compatible_with(a.shape):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Dataset.from_generator: element {k}, component {j} has "
                    f"shape {a.shape}, not the declared {sh}.",
                )
            out.append(a)
        yield tuple(out)


def _padded_batches(
    src: PyIterator[tuple[Any, ...]], node: dict[str, Any]
) -> PyIterator[tuple[Any, ...]]:
    n, drop = node["n"], node["drop"]
    while True:
        chunk = list(itertools.islice(src, n))
        if not chunk or (drop and len(chunk) < n):
            return
        out = []
        for k, (dims, pad) in enumerate(zip(node["dims"], node["pads"])):
            parts = [np.asarray(e[k]) for e in chunk]
            target = []
            for axis, d in enumerate(dims):
                longest = max(p.shape[axis] for p in parts)
                if d is not None and longest > d:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"Dataset.padded_batch: component {k} has size {longest} "
                        f"in axis {axis}, more than its padded shape {dims}.",
                    )
                target.append(longest if d is None else d)
            batch = np.full([len(parts), *target], pad, dtype=parts[0].dtype)
            for i, p in enumerate(parts):
                batch[(i, *[slice(0, m) for m in p.shape])] = p
            out.append(batch)
        yield tuple(out)


def _shuffled(
    make: Callable[[], PyIterator[Any]], node: dict[str, Any], ctx: RunContext, key: str
) -> PyIterator[Any]:
    seed = node["seed"]
    rng = (
        ctx.rng((key, "shuffle", id(node)), (seed, seed))
        if node["reshuffle"] or seed is None
        else np.random.default_rng(seed)
    )
    buf: list[Any] = []
    for e in make():
        buf.append(e)
        if len(buf) >= node["buffer"]:
            yield buf.pop(int(rng.integers(len(buf))))
    while buf:
        yield buf.pop(int(rng.integers(len(buf))))


def _repeated(make: Callable[[], PyIterator[Any]], count: int) -> PyIterator[Any]:
    k = 0
    while count < 0 or k < count:
        yielded = False
        for e in make():
            yielded = True
            yield e
        if not yielded:
            return
        k += 1


class _IteratorOp(OpDef):
    needs_context = True
    stateful = True
    differentiable = False


@register_op("MakeIterator")
class MakeIterator(_IteratorOp):
    """(Re)starts an iterator over its dataset (the initializer of an initializable one)."""

    def infer(self, *tensors: Tensor) -> list[TensorSpec]:
        return []

    def compute(self, ctx: RunContext, *values: Any) -> None:
        a = self.attrs
        ctx.iterators[a["key"]] = _elements(a["tree"], list(values), ctx, a["key"])
        return None


@register_op("IteratorGetNext")
class IteratorGetNext(_IteratorOp):
    """The iterator's next element (OutOfRangeError at the end of the dataset)."""

    # Batches may be views of the source arrays: a fetched one is copied, so the caller
    # cannot change the dataset by writing into it.
    aliases_state = True

    def infer(self, *tensors: Tensor) -> list[TensorSpec]:
        return [spec(s, d) for s, d in self.attrs["out_specs"]]

    def compute(self, ctx: RunContext, *values: Any) -> list[Any]:
        a = self.attrs
        if a.get("by_handle"):
            return self._by_handle(ctx, values[0])
        it = ctx.iterators.get(a["key"])
        if it is None:
            if not a["one_shot"]:
                raise errors.FailedPreconditionError(
                    None,
                    None,
                    "GetNext() failed because the iterator has not been "
                    "initialized. Ensure that you have run the initializer "
                    "operation for this iterator before getting the next element.",
                )
            it = ctx.iterators[a["key"]] = _elements(a["tree"], list(values), ctx, a["key"])
        try:
            with ctx.iterator_lock:  # a Python generator cannot be advanced by two threads at once
                return list(next(it))
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None

    def _by_handle(self, ctx: RunContext, handle: Any) -> list[Any]:
        from flowzero.data.dataset_ops import check_handle_element

        handle = np.asarray(handle, dtype=object)[()]
        key = handle.decode() if isinstance(handle, bytes) else str(handle)
        it = ctx.iterators.get(key)
        if it is None:
            raise errors.FailedPreconditionError(
                None,
                None,
                f"GetNext() failed: no iterator started in this session has the handle "
                f"'{key}'. Run the iterator's initializer (or its string_handle(), for a "
                "one-shot iterator) in this session first.",
            )
        try:
            with ctx.iterator_lock:
                got = list(next(it))
        except StopIteration:
            raise errors.OutOfRangeError(None, None, "End of sequence") from None
        check_handle_element(key, got, self.attrs["out_specs"])
        return got
