"""A dataset element's structure: its nesting, whose leaves say where each component's tensors
sit in the dataset's flat list of specs: an int for a Tensor, a SparseLeaf (three positions:
indices, values, dense_shape) for a SparseTensor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework import nest
from flowzero.framework.graph import Tensor, convert_to_tensor
from flowzero.framework.shapes import TensorShape
from flowzero.framework.sparse_tensor import SparseTensor, SparseTensorValue


class SparseLeaf:
    """A SparseTensor component: the positions of its indices, values and dense_shape in the
    flat specs, and its static dense shape."""

    __slots__ = ("parts", "shape")

    def __init__(self, parts: Any, shape: TensorShape) -> None:
        self.parts = tuple(int(p) for p in parts)
        self.shape = shape

    def shifted(self, offset: int) -> SparseLeaf:
        return SparseLeaf([p + offset for p in self.parts], self.shape)

    def __repr__(self) -> str:
        return f"SparseLeaf({self.parts}, {self.shape})"


def leaf_map(
    structure: Any, dense: Callable[[int], Any], sparse: Callable[[SparseLeaf], Any]
) -> Any:
    """The structure with each leaf replaced: `dense(i)` for a Tensor's, `sparse(leaf)` for a
    SparseTensor's."""
    return nest.map_structure(
        lambda leaf: sparse(leaf) if isinstance(leaf, SparseLeaf) else dense(leaf), structure
    )


def pack(structure: Any, flat: list[Any]) -> Any:
    """The element from its flat tensors (SparseTensors rebuilt from their three)."""
    return leaf_map(
        structure, lambda i: flat[i], lambda leaf: SparseTensor(*[flat[p] for p in leaf.parts])
    )


def flatten_result(result: Any) -> tuple[Any, list[Tensor]]:
    """(structure, flat tensors) of a function's result: Tensors and SparseTensors."""
    flat: list[Tensor] = []

    def leaf(x: Any) -> Any:
        if isinstance(x, SparseTensorValue):
            x = SparseTensor.from_value(x)
        if isinstance(x, SparseTensor):
            flat.extend(x._components())
            return SparseLeaf(range(len(flat) - 3, len(flat)), x.shape)
        flat.append(convert_to_tensor(x))
        return len(flat) - 1

    return nest.map_structure(leaf, result), flat


def shift(structure: Any, offset: int) -> Any:
    return leaf_map(structure, lambda i: i + offset, lambda leaf: leaf.shifted(offset))


def sparse_leaves(structure: Any) -> list[SparseLeaf]:
    return [x for x in nest.flatten(structure) if isinstance(x, SparseLeaf)]
