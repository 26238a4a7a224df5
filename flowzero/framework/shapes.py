"""Static shapes: TensorShape with unknown dims, and the shape rules ops share.

A shape is known at build time as far as it can be: `None` for an unknown dimension, an unknown
rank when even the number of dimensions is unknown (`TensorShape(None)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Union

import numpy as np


class Dimension:
    """One dimension of a TensorShape (TF1's `tf.Dimension`); `.value` is an int or None."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        if isinstance(value, Dimension):
            value = value.value
        if value is not None:
            ivalue = int(value)
            if ivalue != value or ivalue < 0:
                raise ValueError(f"Dimension {value!r} must be a non-negative integer or None.")
            value = ivalue
        self.value: int | None = value

    def __int__(self) -> int:
        if self.value is None:
            raise TypeError("Cannot convert an unknown Dimension to an int.")
        return self.value

    __index__ = __int__

    def __eq__(self, other: object) -> Any:
        other_v = other.value if isinstance(other, Dimension) else other
        if self.value is None or other_v is None:
            return None
        return self.value == other_v

    def __ne__(self, other: object) -> Any:
        eq = self.__eq__(other)
        return None if eq is None else not eq

    def __hash__(self) -> int:
        return hash(self.value)

    def __bool__(self) -> bool:
        return self.value is not None and self.value != 0

    def _arith(self, other: Any, fn: Any) -> Dimension:
        o = other.value if isinstance(other, Dimension) else other
        if self.value is None or o is None:
            return Dimension(None)
        return Dimension(fn(self.value, int(o)))

    def __add__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a + b)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a - b)

    def __mul__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a * b)

    __rmul__ = __mul__

    def __floordiv__(self, other: Any) -> Dimension:
        return self._arith(other, lambda a, b: a // b)

    def __repr__(self) -> str:
        return f"Dimension({self.value})"

    def __str__(self) -> str:
        return "?" if self.value is None else str(self.value)


DimLike = Union[int, None, Dimension]


def _dim_value(d: Any) -> int | None:
    if d is None:
        return None
    if isinstance(d, Dimension):
        return d.value
    if isinstance(d, (int, np.integer)):
        if d < 0:
            return None  # TF treats -1 in a shape spec as unknown
        return int(d)
    raise TypeError(f"A shape dimension must be an int or None; got {d!r}.")


class TensorShape:
    """The static shape of a tensor: known, partially known (None dims) or of unknown rank."""

    __slots__ = ("_dims",)

    def __init__(self, dims: Any) -> None:
        if dims is None:
            self._dims: tuple[int | None, ...] | None = None
        elif isinstance(dims, TensorShape):
            self._dims = dims._dims
        elif isinstance(dims, (int, np.integer, Dimension)):
            self._dims = (_dim_value(dims),)
        else:
            self._dims = tuple(_dim_value(d) for d in dims)

    # -- queries -------------------------------------------------------------------------------
    @property
    def dims(self) -> list[Dimension] | None:
        return None if self._dims is None else [Dimension(d) for d in self._dims]

    @property
    def ndims(self) -> int | None:
        return None if self._dims is None else len(self._dims)

    rank = ndims

    @property
    def known(self) -> tuple[int | None, ...] | None:
        """The dims as a tuple of ints/None (None when the rank is unknown)."""
        return self._dims

    def as_list(self) -> list[int | None]:
        if self._dims is None:
            raise ValueError("as_list() is not defined on an unknown TensorShape.")
        return list(self._dims)

    def as_tuple(self) -> tuple[int | None, ...]:
        return tuple(self.as_list())

    def is_fully_defined(self) -> bool:
        return self._dims is not None and all(d is not None for d in self._dims)

    def num_elements(self) -> int | None:
        if not self.is_fully_defined():
            return None
        return int(np.prod(self._dims, dtype=np.int64))  # type: ignore[arg-type]

    def is_compatible_with(self, other: Any) -> bool:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return True
        if len(self._dims) != len(other._dims):
            return False
        return all(a is None or b is None or a == b for a, b in zip(self._dims, other._dims))

    def merge_with(self, other: Any) -> TensorShape:
        other = as_shape(other)
        if self._dims is None:
            return other
        if other._dims is None:
            return self
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {other} are not compatible")
        return TensorShape([a if a is not None else b for a, b in zip(self._dims, other._dims)])

    def concatenate(self, other: Any) -> TensorShape:
        other = as_shape(other)
        if self._dims is None or other._dims is None:
            return TensorShape(None)
        return TensorShape(self._dims + other._dims)

    def assert_is_compatible_with(self, other: Any) -> None:
        if not self.is_compatible_with(other):
            raise ValueError(f"Shapes {self} and {as_shape(other)} are incompatible")

    def assert_has_rank(self, rank: int) -> None:
        if self._dims is not None and len(self._dims) != rank:
            raise ValueError(f"Shape {self} must have rank {rank}")

    def with_rank(self, rank: int) -> TensorShape:
        if self._dims is None:
            return TensorShape([None] * rank)
        self.assert_has_rank(rank)
        return self

    # -- container protocol --------------------------------------------------------------------
    def __len__(self) -> int:
        if self._dims is None:
            raise ValueError("Cannot take the length of a shape with unknown rank.")
        return len(self._dims)

    def __iter__(self) -> Iterator[Dimension]:
        if self._dims is None:
            raise ValueError("Cannot iterate over a shape with unknown rank.")
        return iter(Dimension(d) for d in self._dims)

    def __getitem__(self, key: Any) -> Any:
        if self._dims is None:
            return TensorShape(None) if isinstance(key, slice) else Dimension(None)
        if isinstance(key, slice):
            return TensorShape(self._dims[key])
        return Dimension(self._dims[key])

    def __bool__(self) -> bool:
        return self._dims is not None

    def __eq__(self, other: object) -> bool:
        try:
            other = as_shape(other)
        except (TypeError, ValueError):
            return NotImplemented
        return self._dims == other._dims

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self._dims)

    def __repr__(self) -> str:
        if self._dims is None:
            return "TensorShape(None)"
        return f"TensorShape({list(self._dims)!r})"

    def __str__(self) -> str:
        if self._dims is None:
            return "<unknown>"
        inner = ", ".join("?" if d is None else str(d) for d in self._dims)
        return f"({inner},)" if len(self._dims) == 1 else f"({inner})"


def as_shape(shape: Any) -> TensorShape:
    return shape if isinstance(shape, TensorShape) else TensorShape(shape)


def unknown_shape(ndims: int | None = None) -> TensorShape:
    return TensorShape(None if ndims is None else [None] * ndims)


def scalar() -> TensorShape:
    return TensorShape([])


# -- shared shape rules ------------------------------------------------------------------------
Dims = tuple[int | None, ...]


def broadcast_dims(a: Sequence[int | None], b: Sequence[int | None]) -> Dims | None:
    """NumPy broadcasting of two known-rank dim tuples; None when they cannot broadcast."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out: list[int | None] = []
    for x, y in zip(a, b):
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x is None:
            out.append(y)
        elif y is None or x == y:
            out.append(x)
        else:
            return None
    return tuple(out)


def broadcast_shapes(*shapes: TensorShape) -> TensorShape | None:
    """The broadcast shape of several static shapes, or None when they are incompatible."""
    dims: tuple[int | None, ...] = ()
    for s in shapes:
        if s.known is None:
            return TensorShape(None)
    for s in shapes:
        res = broadcast_dims(dims, s.known)  # type: ignore[arg-type]
        if res is None:
            return None
        dims = res
    return TensorShape(dims)


def reduced_shape(shape: TensorShape, axes: Iterable[int] | None, keepdims: bool) -> TensorShape:
    """Shape after reducing `axes` (None = all), keeping them as 1s when `keepdims`."""
    if shape.known is None:
        return TensorShape(None)
    n = len(shape.known)
    if axes is None:
        axes_set = set(range(n))
    else:
        axes_set = {a % n if n else a for a in axes}
    if keepdims:
        return TensorShape([1 if i in axes_set else d for i, d in enumerate(shape.known)])
    return TensorShape([d for i, d in enumerate(shape.known) if i not in axes_set])
