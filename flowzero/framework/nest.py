"""Nested structures of values (TF's `tf.nest`): lists, tuples, namedtuples and dicts.

Control flow takes and returns structures (`while_loop`'s loop vars, `cond`'s branch results,
an LSTM's `(c, h)` state); ops see only their flat leaves. Dicts flatten in sorted key order,
as TF's nest does; anything else (a Tensor, a TensorArray, a number) is a leaf.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def is_sequence(x: Any) -> bool:
    """Whether `x` is a structure nest descends into (not a string)."""
    return isinstance(x, (list, tuple, Mapping))


def _is_namedtuple(x: Any) -> bool:
    return isinstance(x, tuple) and hasattr(x, "_fields")


def _children(x: Any) -> list[Any]:
    if isinstance(x, Mapping):
        return [x[k] for k in sorted(x)]
    return list(x)


def flatten(structure: Any) -> list[Any]:
    """The leaves of `structure`, depth first (a leaf alone gives `[leaf]`)."""
    if not is_sequence(structure):
        return [structure]
    out: list[Any] = []
    for c in _children(structure):
        out.extend(flatten(c))
    return out


def _rebuild(like: Any, items: list[Any]) -> Any:
    if isinstance(like, Mapping):
        d = dict(zip(sorted(like), items))
        out = {k: d[k] for k in like}  # the caller's key order
        try:
            return type(like)(out)  # type: ignore[call-arg]
        except TypeError:
            return out
    if _is_namedtuple(like):
        return type(like)(*items)
    if isinstance(like, tuple):
        return tuple(items)
    return list(items)


def pack_sequence_as(structure: Any, flat_sequence: list[Any]) -> Any:
    """`flat_sequence` in the shape of `structure` (the inverse of `flatten`).

    Raises:
        ValueError: the number of leaves differs.
    """
    flat = list(flat_sequence)
    n = len(flatten(structure))
    if len(flat) != n:
        raise ValueError(
            f"Could not pack sequence: the structure has {n} elements but flat_sequence has "
            f"{len(flat)}. Structure: {structure!r}"
        )
    pos = [0]

    def build(s: Any) -> Any:
        if not is_sequence(s):
            v = flat[pos[0]]
            pos[0] += 1
            return v
        return _rebuild(s, [build(c) for c in _children(s)])

    return build(structure)


def _describe(s: Any) -> str:
    if not is_sequence(s):
        return "."
    if isinstance(s, Mapping):
        return "{" + ", ".join(f"{k!r}: {_describe(s[k])}" for k in sorted(s)) + "}"
    inner = ", ".join(_describe(c) for c in s)
    if _is_namedtuple(s):
        return f"{type(s).__name__}({inner})"
    return f"({inner})" if isinstance(s, tuple) else f"[{inner}]"


def structure_string(s: Any) -> str:
    """A short picture of a structure, leaves as '.' (for error messages)."""
    return _describe(s)


def assert_same_structure(a: Any, b: Any, check_types: bool = True) -> None:
    """Raises ValueError (or TypeError for differing sequence types) if `a` and `b` nest
    differently."""

    def walk(x: Any, y: Any) -> None:
        sx, sy = is_sequence(x), is_sequence(y)
        if sx != sy:
            raise ValueError(
                "The two structures don't have the same nested structure: "
                f"{_describe(a)} vs {_describe(b)}."
            )
        if not sx:
            return
        if (
            check_types
            and type(x) is not type(y)
            and not (isinstance(x, Mapping) and isinstance(y, Mapping))
        ):
            raise TypeError(
                "The two structures don't have the same sequence type: "
                f"{type(x).__name__} vs {type(y).__name__} ({_describe(a)} vs {_describe(b)})."
            )
        if isinstance(x, Mapping) and sorted(x) != sorted(y):
            raise ValueError(f"The two dicts don't have the same keys: {sorted(x)} vs {sorted(y)}.")
        cx, cy = _children(x), _children(y)
        if len(cx) != len(cy):
            raise ValueError(
                "The two structures don't have the same number of elements: "
                f"{_describe(a)} vs {_describe(b)}."
            )
        for p, q in zip(cx, cy):
            walk(p, q)

    walk(a, b)


def map_structure(fn: Callable[..., Any], *structures: Any) -> Any:
    """`fn` applied leaf by leaf to structures of the same nesting."""
    for s in structures[1:]:
        assert_same_structure(structures[0], s, check_types=False)
    flats = [flatten(s) for s in structures]
    return pack_sequence_as(structures[0], [fn(*xs) for xs in zip(*flats)])
