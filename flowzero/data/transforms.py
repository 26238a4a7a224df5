"""tf.data.experimental's transformations that are nodes of their own: choose_from_datasets,
sample_from_datasets, scan, take_while and unique (their run-time code is registered in
dataset.py's NODE_RUNNERS)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator as PyIterator
from typing import Any

import numpy as np

from flowzero.data.dataset import NODE_RUNNERS, Dataset, _elements, _indices
from flowzero.data.structure import SparseLeaf, flatten_result, leaf_map, pack, sparse_leaves
from flowzero.framework import dtypes, errors, nest
from flowzero.framework.function import Body
from flowzero.framework.graph import convert_to_tensor, get_default_graph
from flowzero.framework.registry import spec
from flowzero.framework.shapes import TensorShape
from flowzero.runtime.state import RunContext

Elements = PyIterator[tuple[Any, ...]]


def _same_elements(fn: str, datasets: list[Dataset]) -> None:
    first = datasets[0]
    for d in datasets[1:]:
        if nest.structure_string(d._structure) != nest.structure_string(first._structure) or [
            s.dtype for s in d._specs
        ] != [s.dtype for s in first._specs]:
            raise TypeError(
                f"{fn}: the datasets' elements must have the same structure and types; got "
                f"{first.output_types} and {d.output_types}."
            )


def _merged_specs(datasets: list[Dataset]) -> list[Any]:
    """Per component: the shape all the datasets' elements share (unknown where they differ)."""
    out = []
    for parts in zip(*(d._specs for d in datasets)):
        dims = [p.shape.known for p in parts]
        if any(d is None for d in dims) or len({len(d) for d in dims}) > 1:  # type: ignore[arg-type]
            shape = TensorShape(None)
        else:
            shape = TensorShape([a[0] if len(set(a)) == 1 else None for a in zip(*dims)])  # type: ignore[arg-type]
        out.append(spec(shape, parts[0].dtype))
    return out


def choose_from_datasets(datasets: Any, choice_dataset: Dataset) -> Dataset:
    """The next element of datasets[c] for each int64 scalar c of `choice_dataset` (a choice
    of a dataset already exhausted is skipped; the end of choice_dataset is the end)."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("choose_from_datasets: datasets must be a non-empty list.")
    _same_elements("choose_from_datasets", datasets)
    if choice_dataset.output_types != dtypes.int64 or choice_dataset._specs[0].shape.ndims not in (
        None,
        0,
    ):
        raise TypeError(
            "choose_from_datasets: choice_dataset must yield int64 scalars; got "
            f"{choice_dataset.output_types} {choice_dataset.output_shapes}."
        )
    node = {
        "op": "choose",
        "selector": choice_dataset._node,
        "children": [d._node for d in datasets],
    }
    return Dataset(node, datasets[0]._structure, _merged_specs(datasets))


def sample_from_datasets(datasets: Any, weights: Any = None, seed: int | None = None) -> Dataset:
    """Elements drawn from `datasets` at random, each with probability proportional to its
    weight (uniform where `weights` is None); an exhausted dataset drops out; the end is when
    all are exhausted."""
    datasets = list(datasets)
    if not datasets:
        raise ValueError("sample_from_datasets: datasets must be a non-empty list.")
    _same_elements("sample_from_datasets", datasets)
    w = np.ones(len(datasets)) if weights is None else np.asarray(weights, np.float64)
    if w.shape != (len(datasets),) or (w < 0).any() or not w.sum() > 0:
        raise ValueError(
            f"sample_from_datasets: weights must be {len(datasets)} non-negative numbers, not "
            f"all 0; got {weights!r}."
        )
    node = {
        "op": "sample",
        "children": [d._node for d in datasets],
        "weights": w.tolist(),
        "seed": None if seed is None else int(seed),
    }
    return Dataset(node, datasets[0]._structure, _merged_specs(datasets))


def _body(ds: Dataset, what: str, lead: list[Any], lead_structure: Any) -> tuple[Body, Any, Any]:
    """A function body whose arguments are `lead` specs (packed as lead_structure), then the
    element's; returns (body, lead args packed, element packed)."""
    g = get_default_graph()
    body = Body(g, g.unique_name(f"Dataset_{what}"))
    with body.building():
        args = [body.add_arg(s.shape, s.dtype, f"arg_{k}") for k, s in enumerate(lead + ds._specs)]
    head = nest.pack_sequence_as(lead_structure, args[: len(lead)]) if lead else None
    return body, head, pack(ds._structure, args[len(lead) :])


def _call(fn: Callable[..., Any], element: Any) -> Any:
    """fn of the element, a tuple unpacked into arguments (as map and filter)."""
    if isinstance(element, tuple) and not hasattr(element, "_fields"):
        return fn(*element)
    return fn(element)


def scan(initial_state: Any, scan_func: Callable[..., Any]) -> Callable[[Dataset], Dataset]:
    """`scan_func(state, element) -> (new_state, output)` over the elements, the state
    carried from one to the next (starting at `initial_state`); the outputs are the elements."""

    def apply(ds: Dataset) -> Dataset:
        init = [convert_to_tensor(t) for t in nest.flatten(initial_state)]
        lead = [spec(t.shape, t.dtype) for t in init]
        body, state, element = _body(ds, "scan", lead, initial_state)
        with body.building():
            result = scan_func(state, element)  # the element as one argument, as TF
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise TypeError("scan: scan_func must return a pair (new_state, output).")
            new_state = [convert_to_tensor(t) for t in nest.flatten(result[0])]
            outs = [convert_to_tensor(t) for t in nest.flatten(result[1])]
        if [t.dtype for t in new_state] != [t.dtype for t in init]:
            raise TypeError(
                f"scan: the new state's types {[t.dtype.name for t in new_state]} must be the "
                f"initial state's {[t.dtype.name for t in init]}."
            )
        body.close(new_state + outs)
        node = {
            "op": "scan",
            "child": ds._node,
            "body": body,
            "captures": list(body.captures),
            "init": init,
        }
        return ds._derive(node, [spec(t.shape, t.dtype) for t in outs], _indices(result[1]))

    return apply


def take_while(predicate: Callable[..., Any]) -> Callable[[Dataset], Dataset]:
    """The elements up to (not including) the first for which `predicate` is false."""

    def apply(ds: Dataset) -> Dataset:
        body, _, element = _body(ds, "take_while", [], None)
        with body.building():
            pred = convert_to_tensor(_call(predicate, element))
        if pred.dtype is not dtypes.bool or pred.shape.ndims not in (None, 0):
            raise TypeError(
                f"take_while: predicate must return a bool scalar; got {pred.dtype.name} "
                f"{pred.shape}."
            )
        body.close([pred])
        node = {
            "op": "take_while",
            "child": ds._node,
            "body": body,
            "captures": list(body.captures),
        }
        return ds._derive(node)

    return apply


def unique() -> Callable[[Dataset], Dataset]:
    """Each distinct element once, at its first occurrence (scalar int32, int64 or string
    elements, as TF)."""

    def apply(ds: Dataset) -> Dataset:
        s = ds._specs
        if len(s) != 1 or s[0].dtype not in (dtypes.int32, dtypes.int64, dtypes.string):
            raise TypeError(
                f"unique: elements must be one int32, int64 or string tensor; got "
                f"{ds.output_types}."
            )
        return ds._derive({"op": "unique", "child": ds._node})

    return apply


def _rest(shape: TensorShape) -> TensorShape:
    return TensorShape(None if shape.known is None else shape.known[1:])


def sparse_slices(tensors: Any) -> Dataset:
    """Dataset.from_tensor_slices of a structure holding SparseTensors: row i of each (its
    indices without the first column, its dense shape without the first dimension), with
    row i of each dense tensor."""
    structure, flat = flatten_result(tensors)
    groups = sparse_leaves(structure)
    in_sparse = {p for leaf in groups for p in leaf.parts}
    specs = [spec(_rest(t.shape), t.dtype) for t in flat]
    firsts = {t.shape.known[0] for k, t in enumerate(flat) if k not in in_sparse and t.shape.known}
    for leaf in groups:
        ind, val, shp = leaf.parts
        r = flat[shp].shape.known
        rank = None if r is None or r[0] is None else r[0] - 1
        if rank is not None and rank < 1:
            raise ValueError("Dataset.from_tensor_slices: a SparseTensor to slice needs rank >= 2.")
        specs[ind] = spec([None, rank], dtypes.int64)
        specs[val] = spec([None], flat[val].dtype)
        specs[shp] = spec([rank], dtypes.int64)
        if leaf.shape.known:
            firsts.add(leaf.shape.known[0])
    firsts.discard(None)
    if len(firsts) > 1:
        raise ValueError(
            f"Dataset.from_tensor_slices: the tensors' first dimensions differ: {sorted(firsts)}."
        )
    node = {"op": "sparse_slices", "tensors": flat, "sparse": [list(g.parts) for g in groups]}
    rows = leaf_map(structure, lambda i: i, lambda leaf: SparseLeaf(leaf.parts, _rest(leaf.shape)))
    return Dataset(node, rows, specs)


# -- run time ----------------------------------------------------------------------------------
def _run_choose(node: dict[str, Any], values: list[Any], ctx: RunContext, key: str) -> Elements:
    kids: list[Elements | None] = [_elements(c, values, ctx, key) for c in node["children"]]
    for (c,) in _elements(node["selector"], values, ctx, key):
        c = int(c)
        if not 0 <= c < len(kids):
            raise errors.InvalidArgumentError(
                None, None, f"choose_from_datasets: choice {c} is not in [0, {len(kids)})."
            )
        it = kids[c]
        x = None if it is None else next(it, None)
        if x is None:
            kids[c] = None
            continue
        yield x


def _run_sample(node: dict[str, Any], values: list[Any], ctx: RunContext, key: str) -> Elements:
    seed = node["seed"]
    rng = ctx.rng((key, "sample", id(node)), (seed, seed))
    kids: list[Elements | None] = [_elements(c, values, ctx, key) for c in node["children"]]
    w = np.array(node["weights"], np.float64)
    while w.sum() > 0:
        k = int(rng.choice(len(kids), p=w / w.sum()))
        x = next(kids[k], None)  # type: ignore[arg-type]
        if x is None:
            w[k] = 0.0
            continue
        yield x


def _run_body_node(node: dict[str, Any], values: list[Any], ctx: RunContext, key: str) -> Elements:
    body: Body = node["body"]
    caps = [values[t["input"]] for t in node["captures"]]
    plan = ctx.subplan((key, node["op"], id(body)), body.outputs, body.args)
    src = _elements(node["child"], values, ctx, key)
    if node["op"] == "take_while":
        for e in src:
            if not bool(plan.run(list(e) + caps)[0]):
                return
            yield e
        return
    state = [values[t["input"]] for t in node["init"]]
    n = len(state)
    for e in src:
        out = plan.run(state + list(e) + caps)
        state = list(out[:n])
        yield tuple(out[n:])


def _run_unique(node: dict[str, Any], values: list[Any], ctx: RunContext, key: str) -> Elements:
    seen: set[Any] = set()
    for e in _elements(node["child"], values, ctx, key):
        v = np.asarray(e[0])[()]
        if v not in seen:
            seen.add(v)
            yield e


def _run_sparse_slices(
    node: dict[str, Any], values: list[Any], ctx: RunContext, key: str
) -> Elements:
    arrays = [values[t["input"]] for t in node["tensors"]]
    groups = node["sparse"]
    in_sparse = {p for g in groups for p in g}
    sizes = [a.shape[0] for k, a in enumerate(arrays) if k not in in_sparse]
    sizes += [int(arrays[shp][0]) for _, _, shp in groups]
    if len(set(sizes)) > 1:
        raise errors.InvalidArgumentError(
            None, None, f"Dataset.from_tensor_slices: the first dimensions differ: {sizes}."
        )
    rows = {g[0]: arrays[g[0]][:, 0] for g in groups}
    for i in range(sizes[0]):
        out = [a[i] if k not in in_sparse else None for k, a in enumerate(arrays)]
        for ind, val, shp in groups:
            keep = rows[ind] == i
            out[ind] = arrays[ind][keep, 1:]
            out[val] = arrays[val][keep]
            out[shp] = arrays[shp][1:]
        yield tuple(out)


NODE_RUNNERS.update(
    sparse_slices=_run_sparse_slices,
    choose=_run_choose,
    sample=_run_sample,
    scan=_run_body_node,
    take_while=_run_body_node,
    unique=_run_unique,
)

__all__ = ["choose_from_datasets", "sample_from_datasets", "scan", "take_while", "unique"]
