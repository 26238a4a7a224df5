"""Einstein summation: one Einsum op (NumPy's einsum as the kernel) whose gradient is einsum
again, so derivatives of any order come from the same op.

Equations are normalized at build time: spaces dropped, an implicit output made explicit
(the letters used once, sorted), and an ellipsis replaced by letters for the broadcast axes
(this needs the inputs' ranks). More than two operands are contracted pairwise (TF's op
takes one or two).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape
from flowzero.ops.common import DTypeError, _convert_list, _graph_for

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse(equation: str, ranks: list[int | None]) -> tuple[list[str], str]:
    """The input and output subscripts of `equation`, with any ellipsis spelled out."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->", 1)
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    ins = lhs.split(",")
    if len(ins) != len(ranks):
        raise ValueError(
            f"einsum: equation {equation!r} has {len(ins)} inputs; got {len(ranks)} tensors."
        )
    for term in ins + [out]:
        bad = set(term.replace("...", "")) - set(_LETTERS)
        if bad or term.count("...") > 1 or "." in term.replace("...", ""):
            raise ValueError(
                f"einsum: invalid subscripts {term!r} in {equation!r}; use letters "
                "and at most one '...' per term."
            )
    free = [c for c in _LETTERS if c not in eq]
    ell_rank = 0
    for k, (term, r) in enumerate(zip(ins, ranks)):
        if "..." in term:
            if r is None:
                raise ValueError(
                    f"einsum: an ellipsis needs the rank of input {k}; got an unknown rank."
                )
            ell_rank = max(ell_rank, r - (len(term) - 3))
    ell = "".join(free[:ell_rank])
    new_ins = []
    for term, r in zip(ins, ranks):
        if "..." in term:
            n = (r or 0) - (len(term) - 3)
            if n < 0:
                raise ValueError(f"einsum: subscripts {term!r} need more axes than rank {r}.")
            term = term.replace("...", ell[ell_rank - n :] if n else "")
        new_ins.append(term)
    if explicit:
        out = out.replace("...", ell)
    else:
        letters = "".join(new_ins)
        out = ell + "".join(sorted(c for c in set(letters) - set(ell) if letters.count(c) == 1))
    for k, (term, r) in enumerate(zip(new_ins, ranks)):
        if r is not None and len(term) != r:
            raise ValueError(
                f"einsum: input {k} has rank {r} but subscripts {term!r} in {equation!r}."
            )
    if len(set(out)) != len(out) or set(out) - set("".join(new_ins)):
        raise ValueError(
            f"einsum: output subscripts {out!r} must be distinct letters that "
            f"appear in the inputs; got {equation!r}."
        )
    return new_ins, out


@register_op("Einsum")
class Einsum(OpDef):
    """y = sum over the letters not in the output of the product of the inputs, as the
    equation indexes them (attr `equation`, normalized: explicit output, no ellipsis)."""

    def infer(self, *xs: Tensor) -> TensorSpec:
        for i, x in enumerate(xs[1:], 1):
            if x.dtype is not xs[0].dtype:
                raise self.error(
                    f"all inputs must have the same dtype; got input 0: "
                    f"{xs[0].dtype.name}, input {i}: {x.dtype.name}.",
                    cls=DTypeError,
                )
        ins, out = self.attrs["inputs"], self.attrs["output"]
        dims: dict[str, int | None] = {}
        for k, (term, x) in enumerate(zip(ins, xs)):
            known = x.shape.known
            if known is None:
                continue
            if len(known) != len(term):
                raise self.error(
                    f"input {k} has rank {len(known)}; subscripts {term!r} need {len(term)}."
                )
            for c, d in zip(term, known):
                prev = dims.get(c)
                if d is None or (prev is not None and prev != 1 and d == 1):
                    dims.setdefault(c, None)
                    continue
                if prev is not None and prev != d and prev != 1:
                    raise self.error(
                        f"dimension '{c}' is {prev} in one input and {d} in "
                        f"input {k} (shape {x.shape}); equation "
                        f"{self.attrs['equation']!r}."
                    )
                dims[c] = d
        return spec(TensorShape([dims.get(c) for c in out]), xs[0].dtype)

    def compute(self, *xs: np.ndarray) -> np.ndarray:
        eq = ",".join(self.attrs["inputs"]) + "->" + self.attrs["output"]
        try:
            y = np.einsum(eq, *xs, optimize=len(xs) > 1)
        except ValueError as e:
            raise self.error(
                f"{e}; got shapes {[x.shape for x in xs]} for {self.attrs['equation']!r}."
            ) from None
        return np.asarray(y, dtype=xs[0].dtype)

    def gradient(self, op: Any, dy: Tensor) -> list[Any]:
        ins, out = self.attrs["inputs"], self.attrs["output"]
        return [_input_grad(k, ins, out, list(op.inputs), dy) for k in range(len(ins))]


def _input_grad(k: int, ins: list[str], out: str, xs: list[Tensor], dy: Tensor) -> Tensor:
    """d(sum y * dy)/d x_k: einsum of dy with the other inputs onto x_k's subscripts; letters
    only x_k has are broadcast back, and a letter x_k repeats (a diagonal) is masked by eye."""
    from flowzero.ops.array_ops import broadcast_to, shape
    from flowzero.ops.matrix_ops import eye
    from flowzero.ops.reshape_ops import reshape

    target = ins[k]
    others = "".join(t for m, t in enumerate(ins) if m != k) + out
    # Spell each repeated letter of x_k with a fresh letter after its first occurrence.
    used = set("".join(ins) + out)
    fresh = iter(c for c in _LETTERS if c not in used)
    spelled, pairs, seen = "", [], set()
    for c in target:
        if c in seen:
            n = next(fresh)
            pairs.append((c, n))
            spelled += n
        else:
            seen.add(c)
            spelled += c
    operands = [dy] + [x for m, x in enumerate(xs) if m != k]
    terms = [out] + [t for m, t in enumerate(ins) if m != k]
    eyes = []
    for c, n in pairs:
        pos = target.index(c)
        d = xs[k].shape.as_list()[pos] if xs[k].shape.ndims is not None else None
        if d is None:
            raise NotImplementedError(
                f"einsum gradient: the repeated subscript '{c}' of input {k} needs a static size"
            )
        eyes.append(eye(d, dtype=dy.dtype))
        terms.append(c + n)
    operands += eyes
    paired = "".join(c + n for c, n in pairs)
    have = "".join(c for c in spelled if c in others or c in paired)
    g = einsum(",".join(terms) + "->" + have, *operands)
    if have == spelled:
        return g
    # Letters only x_k has were summed in the forward pass: broadcast the gradient over them.
    g = reshape(g, _expand_shape(g, spelled, have))
    return broadcast_to(g, shape(xs[k]))


def _expand_shape(g: Tensor, spelled: str, have: str) -> Any:
    """g's shape with a 1 inserted for each letter of `spelled` that `have` lacks."""
    from flowzero.ops.array_ops import shape, stack

    known = g.shape.known
    if known is not None and all(d is not None for d in known):
        it = iter(known)
        return [next(it) if c in have else 1 for c in spelled]
    s = shape(g)
    parts: list[Any] = []
    i = 0
    for c in spelled:
        if c in have:
            parts.append(s[i])
            i += 1
        else:
            parts.append(1)
    return stack(parts)


def einsum(equation: str, *inputs: Any, **kwargs: Any) -> Tensor:
    """Einstein summation over the inputs as `equation` indexes them (numpy.einsum's
    notation, ellipsis included).

    Examples:
        >>> a, b = tf.ones([2, 3]), tf.ones([3, 4])
        >>> tf.einsum("ij,jk->ik", a, b).shape                      # matmul
        TensorShape([2, 4])
        >>> tf.einsum("bij,bjk->bik", tf.ones([5, 2, 3]), tf.ones([5, 3, 4])).shape  # batched
        TensorShape([5, 2, 4])
        >>> sess = tf.Session()
        >>> print(sess.run(tf.einsum("ii", [[1., 2.], [3., 4.]])))   # trace
        5.0
        >>> tf.einsum("...ij->...ji", tf.ones([6, 2, 3])).shape     # transpose the last two axes
        TensorShape([6, 3, 2])

    Raises:
        ValueError: a malformed equation, or one that does not fit the inputs' ranks.
        InvalidArgumentError: the inputs' dimensions or dtypes disagree.
    """
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"einsum: unexpected keyword arguments {sorted(kwargs)}.")
    if not isinstance(equation, str):
        raise TypeError(f"einsum: the equation must be a string; got {equation!r}.")
    with _graph_for(*inputs):
        xs = _convert_list(list(inputs))
        ins, out = _parse(equation, [x.shape.ndims for x in xs])
        # More than two operands: contracted pairwise, left to right, as TF's tf.einsum does
        # (TF's Einsum op takes one or two); each step keeps the letters still needed.
        while len(xs) > 2:
            rest = set(out).union(*ins[2:])
            keep = "".join(dict.fromkeys(c for c in ins[0] + ins[1] if c in rest))
            eq = f"{ins[0]},{ins[1]}->{keep}"
            first = apply_op(Einsum, xs[:2], {"equation": eq, "inputs": ins[:2], "output": keep})
            xs, ins = [first, *xs[2:]], [keep, *ins[2:]]
            equation = ",".join(ins) + "->" + out
        return apply_op(Einsum, xs, {"equation": equation, "inputs": ins, "output": out}, name=name)


__all__ = ["einsum"]
