"""Control flow as graph ops: tf.cond, tf.case, tf.while_loop — with gradients.

Each construct is one op whose branches or body are function Bodies (framework/function.py),
compiled once per session into ordinary plans and run by the op's kernel:

- `If(pred, *captures)` runs the plan of the taken branch only (its side effects included).
- `While(*loop_vars, *captures[, max_iterations])` runs the condition's plan and the body's
  plan per iteration, the body's outputs feeding the next iteration.

Both have one more output, a *record* (a variant): what their gradient needs from the forward
pass — the values of the body's tensors that the gradient reads (the forward op's `saved`
list), kept only when a plan reads the record (a training step), never in a forward-only run.
The record dies with its last reader, as any intermediate.

- The gradient of an If is another If on the same pred, whose branches are the branches'
  gradients (built with tf.gradients); they read the forward branch's values through an
  `IfSaved` op, whose own gradient is built the same way — so second and higher derivatives
  through tf.cond work, as in TF 1.15.
- The gradient of a While is a `WhileGrad` op that runs the body's gradient once per recorded
  iteration, in reverse, summing the gradients of captured tensors (weights used at every
  step) as it goes. It has no gradient of its own: TF 1.15 has no second derivatives through
  tf.while_loop either (it returns None for them; flowzero says so).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors, function, nest
from flowzero.framework.function import Body
from flowzero.framework.graph import (
    Operation,
    Tensor,
    _user_frame,
    apply_op,
    convert_to_tensor,
    get_default_graph,
)
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.framework.shapes import TensorShape, as_shape
from flowzero.ops import (
    array_ops,
    cast_ops,
    control_ops,
    logging_ops,
    math_ops,
    tensor_array_ops,
)
from flowzero.ops.tensor_array_ops import TensorArray, TensorArrayValue, accumulate, own
from flowzero.runtime.state import RunContext


def _differentiable(t: Tensor) -> bool:
    return t.dtype.is_floating or t.dtype.is_complex or t.dtype is dtypes.variant


def _zero_grad_for(x: Tensor) -> Tensor:
    if x.dtype is dtypes.variant:
        return tensor_array_ops.zero_grad()
    return array_ops.zeros_like(x)


def _out_specs(od: OpDef) -> list[TensorSpec]:
    # (shape, dtype) pairs: TensorSpecs when built, plain pairs when read from a graph file.
    return [spec(s, d) for s, d in od.attrs["out_specs"]]


def _specs(ts: list[Tensor]) -> list[TensorSpec]:
    return [spec(t.shape, t.dtype) for t in ts]


# -- leaves: Tensors and TensorArrays ----------------------------------------------------------
def _to_leaf_tensor(x: Any, what: str) -> Tensor:
    if isinstance(x, TensorArray):
        return x.handle
    if isinstance(x, Operation):
        raise TypeError(f"{what}: an Operation cannot be a loop variable ({x.name}).")
    return convert_to_tensor(x)


def _from_leaf(like: Any, t: Tensor) -> Any:
    if isinstance(like, TensorArray):
        return like._with(t)
    return t


# -- the gradient body: shared by If and While ------------------------------------------------
def _grad_body(
    fwd: Body, fwd_opdef: OpDef, saved_key: Any, ys: list[Tensor], xs: list[Tensor], scope: str
) -> tuple[Body, list[tuple[str, int]], list[Tensor]]:
    """The gradient of a Body: a Body with args [dys..., captures...] and outputs [grads of
    xs...], the source of each capture — ("saved", k): the forward op's record, entry k
    (added to the forward op's `saved` list) or ("outer", k): the k-th outer tensor — and those
    outer tensors (inputs of the gradient op)."""
    g = fwd.graph
    body = Body(g, scope)
    with body.building():
        dys = [body.add_arg(y.shape, y.dtype, "dy") for y in ys]
        assert function.gradients_fn is not None
        grads = function.gradients_fn(ys, xs, grad_ys=dys)
        grads = [gr if gr is not None else _zero_grad_for(x) for gr, x in zip(grads, xs)]
    body.close(grads)
    saved: list[Tensor] = fwd_opdef.attrs["saved"].setdefault(saved_key, [])
    sources: list[tuple[str, int]] = []
    outer: list[Tensor] = []
    for t in body.captures:
        if fwd.owns(t.op):
            if t not in saved:
                saved.append(t)
            sources.append(("saved", saved.index(t)))
        else:
            outer.append(t)
            sources.append(("outer", len(outer) - 1))
    return body, sources, outer


def _grad_feeds(sources: list[Any], dys: list[Any], saved: list[Any], outer: Any) -> list[Any]:
    return dys + [saved[i] if kind == "saved" else outer[i] for kind, i in sources]


def _no_second_order(op_type: str) -> Callable[..., Any]:
    def gradient(self: OpDef, op: Any, *dys: Any) -> list[Any]:
        raise errors.LookupGradientError(
            f"No gradient defined for operation '{op.name}' (op type: {op_type}): second "
            "derivatives through tf.while_loop are not supported (TF 1.15 has none either). "
            "Wrap the first gradient in tf.stop_gradient() if it should be a constant, or "
            "unroll the loop in Python."
        )

    return gradient


# -- cond --------------------------------------------------------------------------------------
@register_op("If")
class If(OpDef):
    """outputs = true_branch(captures) if pred else false_branch(captures); only the taken
    branch runs. Last output: the record of the taken branch (for the gradient)."""

    needs_context = True
    stateful = True  # branches may assign, print, draw random numbers
    none_for_missing_grads = True

    def infer(self, pred: Tensor, *captures: Tensor) -> list[TensorSpec]:
        return _out_specs(self) + [spec([], dtypes.variant)]

    def _run(self, ctx: RunContext, record: bool, pred: np.ndarray, *caps: Any) -> list[Any]:
        a = self.attrs
        if np.ndim(pred) != 0:
            raise self.error(f"pred must be a scalar; got shape {np.shape(pred)}.")
        b = 0 if bool(pred) else 1
        body: Body = a["branches"][b]
        saved = a["saved"].get(b, []) if record else []
        plan = ctx.subplan((id(self), b, tuple(saved)), body.outputs + saved, body.args)
        lo = a["split"][b]
        out = plan.run(list(caps[lo : lo + len(body.captures)]))
        m = len(body.outputs)
        return out[:m] + [(b, out[m:]) if record else None]

    def compute(self, ctx: RunContext, pred: np.ndarray, *caps: Any) -> list[Any]:
        return self._run(ctx, True, pred, *caps)

    def kernel_for(self, live: tuple[bool, ...]) -> Any:
        if live[-1]:
            return None
        return lambda ctx, pred, *caps: self._run(ctx, False, pred, *caps)

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        outs = op.outputs[:-1]
        keys = [("out", k) for k, t in enumerate(outs) if _differentiable(t)]
        gys = [_dy_or_zero(dys[k], outs[k]) for _, k in keys]
        grads = _if_vjp(op, op.outputs[-1], op.inputs[0], list(op.inputs[1:]), keys, gys)
        return [None, *grads]


def _if_vjp(
    fwd: Operation,
    record: Tensor,
    pred: Tensor,
    caps: list[Tensor],
    keys: list[tuple[Any, ...]],
    gys: list[Tensor],
) -> list[Any]:
    """The gradients of the If `fwd`'s captured inputs, given gradients `gys` of some of its
    values — ("out", k): output k; ("saved", b, k): entry k of branch b's record — as
    another If on the same pred whose branches are the branches' gradients (zeros for the
    captures of the branch not taken).

    `record`, `pred` and `caps` stand for fwd's record output and inputs where the gradient
    is built (fwd's own tensors, or their captures inside another gradient's branch). The
    forward values a gradient branch reads come out of the record through an `IfSaved` op,
    whose gradient is again this function: so the gradient of a gradient is one more If.
    """
    a = fwd._opdef.attrs
    g = fwd.graph
    branches: tuple[Body, Body] = a["branches"]
    xs_pos = [
        (b, j)
        for b, body in enumerate(branches)
        for j, t in enumerate(body.capture_args())
        if _differentiable(t)
    ]
    grads: list[Any] = [None] * len(caps)
    if not xs_pos or not keys:
        return grads
    fwd_in = [caps[a["split"][b] + j] for b, j in xs_pos]
    gbs: list[Body] = []
    for b, body in enumerate(branches):
        gb = Body(g, f"{fwd.name}_grad/branch_{b}")
        saved: list[Tensor] = a["saved"].get(b, [])
        ys, ys_g = [], []
        for key, gy in zip(keys, gys):
            if key[0] == "out":
                ys.append(body.outputs[key[1]])
                ys_g.append(gy)
            elif key[1] == b:
                ys.append(saved[key[2]])
                ys_g.append(gy)
        with gb.building():
            mine = [body.capture_args()[j] for bb, j in xs_pos if bb == b]
            gradients_fn = function.gradients_fn
            assert gradients_fn is not None  # set once autodiff is imported, as above
            got = iter(gradients_fn(ys, mine, grad_ys=ys_g) if ys else [])
            res: list[Tensor] = []
            for (bb, _), outer_x in zip(xs_pos, fwd_in):
                if bb == b:
                    gr = next(got, None)
                    res.append(gr if gr is not None else _zero_grad_for(outer_x))
                else:
                    res.append(apply_op(BranchZeros, [outer_x], name="zeros"))
        gb.close(res)
        gbs.append(gb)
    # The forward branches' values the gradient branches read come out of the record.
    entries: dict[Tensor, tuple[int, int]] = {}
    for b, gb in enumerate(gbs):
        lst = a["saved"].setdefault(b, [])
        for t in gb.captures:
            if branches[b].owns(t.op):
                if t not in lst:
                    lst.append(t)
                entries[t] = (b, lst.index(t))
    branch_caps = [list(gb.captures) for gb in gbs]
    if entries:
        inner = list(entries)
        vals = apply_op(
            IfSaved,
            [record, pred, *caps],
            {
                "forward": fwd.name,
                "entries": tuple(entries[t] for t in inner),
                "out_specs": _specs(inner),
            },
            name=f"{fwd.name}_grad/IfSaved",
        )
        by_t = dict(zip(inner, vals if isinstance(vals, list) else [vals]))
        branch_caps = [[by_t.get(t, t) for t in c] for c in branch_caps]
    controls = gbs[0].control_captures + [
        c for c in gbs[1].control_captures if c not in gbs[0].control_captures
    ]
    inputs = [pred, *branch_caps[0], *branch_caps[1]]
    # Which input is the upstream gradient of which forward value (-1: read by no branch):
    # TF 1.x's form of this If (interop/tf1_cond_grads.py) switches them by name.
    grad_ys = tuple(
        (key, next((i for i, t in enumerate(inputs) if i and t is gy), -1))
        for key, gy in zip(keys, gys)
    )
    with g.control_dependencies(controls) if controls else contextlib.nullcontext():
        results = apply_op(
            If,
            inputs,
            {
                "branches": tuple(gbs),
                "split": (0, len(branch_caps[0])),
                "out_specs": _specs(fwd_in),
                "saved": {},
                "forward": fwd.name,
                "grad_ys": grad_ys,
            },
            name=f"{fwd.name}_grad/If",
        )
    for (b, j), r in zip(xs_pos, results[:-1]):
        grads[a["split"][b] + j] = r
    return grads


@register_op("IfSaved")
class IfSaved(OpDef):
    """The values an If kept for its gradient: entries (branch, k) of its record; a
    placeholder zero for the entries of the branch not taken (only that branch's gradient
    reads them). Its other inputs are the If's pred and captured inputs, so that gradients
    of these values flow on to them (through `_if_vjp`)."""

    none_for_missing_grads = True

    def infer(self, record: Tensor, pred: Tensor, *caps: Tensor) -> list[TensorSpec]:
        return _out_specs(self)

    def compute(self, record: Any, pred: Any, *caps: Any) -> list[Any]:
        if record is None:
            raise errors.InternalError(None, None, "IfSaved: the If kept no record.")
        taken, vals = record
        return [
            vals[k] if b == taken else _untaken(sp.dtype)
            for (b, k), sp in zip(self.attrs["entries"], _out_specs(self))
        ]

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        fwd = op.graph.get_operation_by_name(self.attrs["forward"])
        keys = [("saved", b, k) for (b, k), d in zip(self.attrs["entries"], dys) if d is not None]
        gys = [d for d in dys if d is not None]
        grads = _if_vjp(fwd, op.inputs[0], op.inputs[1], list(op.inputs[2:]), keys, gys)
        return [None, None, *grads]


def _untaken(dtype: dtypes.DType) -> Any:
    # Stands for a value the branch not taken never computed: only that branch's gradient
    # reads it (and never runs); a scalar zero keeps sums of gradients flowing to it valid.
    return None if dtype is dtypes.variant else np.zeros((), dtype.as_numpy_dtype)


@register_op("BranchZeros")
class BranchZeros(OpDef):
    """zeros_like(x) in a gradient branch, for an input of the branch not taken (which may be a
    value that branch never computed: an `IfSaved` placeholder)."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        return spec(x.shape, x.dtype)

    def compute(self, x: Any) -> Any:
        return None if x is None else _zeros_value(x)


def _zeros_value(v: Any) -> Any:
    if isinstance(v, TensorArrayValue):
        return tensor_array_ops.grad_array(v)
    return np.zeros_like(v)


def _dy_or_zero(dy: Any, t: Tensor) -> Tensor:
    if dy is not None:
        return dy
    return _zero_grad_for(t)


def _build_branch(fn: Callable[[], Any], scope: str, what: str) -> tuple[Body, Any, list[Any]]:
    g = get_default_graph()
    body = Body(g, scope)
    with body.building():
        result = fn()
        if result is None:
            raise ValueError(
                f"{what} must return a value (a Tensor, an Operation or a "
                "structure of them); it returned None."
            )
        leaves = [
            x if isinstance(x, Operation) else _to_leaf_tensor(x, what)
            for x in nest.flatten(result)
        ]
    body.close(leaves)
    return body, result, leaves


def cond(
    pred: Any,
    true_fn: Callable[[], Any] | None = None,
    false_fn: Callable[[], Any] | None = None,
    strict: bool = False,
    name: str | None = None,
    fn1: Any = None,
    fn2: Any = None,
) -> Any:
    """`true_fn()` if `pred` else `false_fn()`, as one op; only the taken branch runs.

    Args:
        pred: a scalar bool tensor (not a Python bool).
        true_fn/false_fn: callables returning the same structure of tensors (same dtypes).
        strict: return one-element lists/tuples as they are (else they are unpacked).

    Returns:
        The taken branch's result, in its structure.

    Raises:
        TypeError: pred is a Python bool or not a bool tensor; the branches' dtypes differ.
        ValueError: the branches return different structures.

    Example:
        >>> x = tf.placeholder(tf.float32, [])
        >>> y = tf.cond(x > 0, lambda: x * 2.0, lambda: -x)
        >>> sess = tf.Session()
        >>> print(sess.run(y, {x: 3.0}), sess.run(y, {x: -3.0}))
        6.0 3.0
    """
    true_fn = true_fn if true_fn is not None else fn1
    false_fn = false_fn if false_fn is not None else fn2
    if not callable(true_fn):
        raise TypeError("cond: true_fn must be callable.")
    if not callable(false_fn):
        raise TypeError("cond: false_fn must be callable.")
    if isinstance(pred, (bool, np.bool_)):
        raise TypeError(
            "cond: pred must not be a Python bool (use a tf.bool tensor, or a Python if statement)."
        )
    pred = convert_to_tensor(pred)
    if pred.dtype is not dtypes.bool:
        raise TypeError(
            f"cond: pred must be a bool tensor; got {pred.dtype.name} tensor '{pred.name}'."
        )
    if pred.shape.ndims not in (None, 0):
        raise ValueError(f"cond: pred must be a scalar; got shape {pred.shape} ('{pred.name}').")
    g = pred.graph
    if getattr(g, "_eager", False):  # eager execution: the taken branch just runs
        res = true_fn() if bool(pred) else false_fn()
        return res if strict else _unpack_singleton(res)
    with g.as_default(), g.name_scope(name or "cond") as scope:
        base = scope[:-1]
        tb, tres, tleaves = _build_branch(true_fn, f"{base}/true", "cond: true_fn")
        fb, fres, fleaves = _build_branch(false_fn, f"{base}/false", "cond: false_fn")
        if not strict:  # TF 1.15: singletons unpacked before the structures are compared
            tres, fres = _unpack_singleton(tres), _unpack_singleton(fres)
        try:
            nest.assert_same_structure(tres, fres, check_types=False)
        except (ValueError, TypeError) as e:
            raise ValueError(
                f"cond '{base}' (at {_user_frame()}): true_fn and false_fn must return the "
                f"same structure; got {nest.structure_string(tres)} and "
                f"{nest.structure_string(fres)}. ({e})"
            ) from None
        out_specs = []
        for k, (t, f) in enumerate(zip(tb.outputs, fb.outputs)):
            if t.dtype is not f.dtype:
                raise TypeError(
                    f"cond '{base}': output {k} of true_fn has dtype {t.dtype.name} but the "
                    f"one of false_fn has {f.dtype.name}; cast one of them."
                )
            out_specs.append(spec(_most_specific(t.shape, f.shape), t.dtype))
        controls = tb.control_captures + [
            c for c in fb.control_captures if c not in tb.control_captures
        ]
        with g.control_dependencies(controls) if controls else contextlib.nullcontext():
            outs = apply_op(
                If,
                [pred, *tb.captures, *fb.captures],
                {
                    "branches": (tb, fb),
                    "split": (0, len(tb.captures)),
                    "out_specs": out_specs,
                    "saved": {},
                },
                name=base + "/",
            )
    if_op = outs[0].op
    flat = [if_op if isinstance(leaf, Operation) else o for leaf, o in zip(tleaves, outs[:-1])]
    result = nest.pack_sequence_as(
        tres,
        [
            _from_leaf(x, t) if isinstance(x, TensorArray) else t
            for x, t in zip(nest.flatten(tres), flat)
        ],
    )
    return result


def _unpack_singleton(res: Any) -> Any:
    # A one-element list or tuple (namedtuples included, as TF) stands for its element.
    return res[0] if isinstance(res, (list, tuple)) and len(res) == 1 else res


def _most_specific(a: TensorShape, b: TensorShape) -> TensorShape:
    """The shape both branches' outputs certainly have (unknown where they differ)."""
    if a.known is None or b.known is None or len(a.known) != len(b.known):
        return TensorShape(None)
    return TensorShape([x if x == y else None for x, y in zip(a.known, b.known)])


def case(
    pred_fn_pairs: Any,
    default: Callable[[], Any] | None = None,
    exclusive: bool = False,
    strict: bool = False,
    name: str = "case",
) -> Any:
    """The result of the first callable whose predicate is true (else `default()`).

    Args:
        pred_fn_pairs: a list of (bool tensor, callable) pairs, or a dict of them.
        default: called when no predicate holds (required unless a pair is certain to).
        exclusive: also check at run time that at most one predicate is true.

    Raises:
        TypeError: a pair is not (bool tensor, callable).
        InvalidArgumentError: (at run time) exclusive and more than one predicate is true.
    """
    pairs = list(pred_fn_pairs.items()) if isinstance(pred_fn_pairs, dict) else list(pred_fn_pairs)
    for p in pairs:
        if not isinstance(p, (tuple, list)) or len(p) != 2 or not callable(p[1]):
            raise TypeError(f"case: each pair must be (predicate, callable); got {p!r}.")
    if not pairs:
        if default is None:
            raise ValueError("case: no pred_fn_pairs and no default.")
        return default()
    g = get_default_graph()
    with g.name_scope(name):
        preds = [convert_to_tensor(p) for p, _ in pairs]
        for p in preds:
            if p.dtype is not dtypes.bool:
                raise TypeError(
                    f"case: predicate '{p.name}' must be a bool tensor; got {p.dtype.name}."
                )
        if exclusive and len(preds) > 1:
            count = math_ops.add_n([cast_ops.cast(p, dtypes.int32) for p in preds])
            check = logging_ops.Assert(
                count <= 1,
                ["Input error: exclusive=True for tf.case, more than one condition is true."],
            )
            with g.control_dependencies([check]):
                preds = [control_ops.identity(p) for p in preds]
        if default is None:
            # TF: the last pair's fn acts as the default.
            default = pairs[-1][1]
            pairs, preds = pairs[:-1], preds[:-1]
            if not pairs:
                return default()

        def chain(i: int) -> Any:
            if i == len(pairs):
                return default()
            return cond(preds[i], pairs[i][1], lambda: chain(i + 1), strict=strict)

        return chain(0)


# -- while_loop --------------------------------------------------------------------------------
@register_op("While")
class While(OpDef):
    """loop_vars = body(loop_vars) while cond(loop_vars) (and fewer than max iterations).
    Last output: the record of every iteration's saved values (for the gradient)."""

    needs_context = True
    stateful = True
    none_for_missing_grads = True

    def infer(self, *inputs: Tensor) -> list[TensorSpec]:
        return _out_specs(self) + [spec([], dtypes.variant)]

    def _run(self, ctx: RunContext, record: bool, *vals: Any) -> list[Any]:
        a = self.attrs
        n, nc, nb = a["n"], a["nc"], a["nb"]
        loop = list(vals[:n])
        ccaps = list(vals[n : n + nc])
        bcaps = list(vals[n + nc : n + nc + nb])
        limit = int(vals[-1]) if a["has_max"] else -1
        cb: Body = a["cond"]
        bb: Body = a["body"]
        saved = a["saved"].get(0, []) if record else []
        cplan = ctx.subplan((id(self), "cond"), cb.outputs, cb.args)
        bplan = ctx.subplan((id(self), "body", tuple(saved)), bb.outputs + saved, bb.args)
        tape: list[list[Any]] | None = [] if record else None
        i = 0
        while i != limit and _scalar_pred(self, cplan.run(loop + ccaps)[0]):
            out = bplan.run(loop + bcaps)
            loop = out[:n]
            if tape is not None:
                tape.append(out[n:])
            i += 1
        return loop + [tape]

    def compute(self, ctx: RunContext, *vals: Any) -> list[Any]:
        return self._run(ctx, True, *vals)

    def kernel_for(self, live: tuple[bool, ...]) -> Any:
        if live[-1]:
            return None
        return lambda ctx, *vals: self._run(ctx, False, *vals)

    def gradient(self, op: Any, *dys: Any) -> list[Any]:
        a = self.attrs
        if not a["back_prop"]:
            return [None] * len(op.inputs)
        n, nc = a["n"], a["nc"]
        bb: Body = a["body"]
        diff_loop = [i for i in range(n) if _differentiable(bb.args[i])]
        cap_args = bb.capture_args()
        diff_caps = [j for j, t in enumerate(cap_args) if _differentiable(t)]
        xs = [bb.args[i] for i in diff_loop] + [cap_args[j] for j in diff_caps]
        ys = [bb.outputs[i] for i in diff_loop]
        gb, sources, outer = _grad_body(bb, self, 0, ys, xs, f"{op.name}_grad/body")
        dy_t = [_dy_or_zero(dys[i], op.outputs[i]) for i in diff_loop]
        fwd_caps = [op.inputs[n + nc + j] for j in diff_caps]
        specs = _specs([op.inputs[i] for i in diff_loop]) + _specs(fwd_caps)
        results = apply_op(
            WhileGrad,
            [op.outputs[-1], *dy_t, *fwd_caps, *outer],
            {
                "grad_body": gb,
                "sources": sources,
                "n_dy": len(dy_t),
                "n_caps": len(fwd_caps),
                "out_specs": specs,
            },
            name=f"{op.name}_grad/WhileGrad",
        )
        results = results if isinstance(results, list) else [results]
        grads: list[Any] = [None] * len(op.inputs)
        for k, i in enumerate(diff_loop):
            grads[i] = results[k]
        for k, j in enumerate(diff_caps):
            grads[n + nc + j] = results[len(diff_loop) + k]
        return grads


def _scalar_pred(op: OpDef, p: Any) -> bool:
    if np.ndim(p) != 0:
        raise op.error(f"cond must return a scalar; got shape {np.shape(p)}.")
    return bool(p)


@register_op("WhileGrad")
class WhileGrad(OpDef):
    """The gradients of a While's loop-var inputs and captured inputs: the body's gradient
    body run once per recorded iteration, last first; captured inputs' gradients summed."""

    needs_context = True

    def infer(self, record: Tensor, *rest: Tensor) -> list[TensorSpec]:
        return _out_specs(self)

    def compute(self, ctx: RunContext, tape: Any, *rest: Any) -> list[Any]:
        a = self.attrs
        n_dy, n_caps = a["n_dy"], a["n_caps"]
        gb: Body = a["grad_body"]
        sources = a["sources"]
        dys = list(rest[:n_dy])
        fwd_caps = rest[n_dy : n_dy + n_caps]
        outer = rest[n_dy + n_caps :]
        if tape is None:
            raise errors.InternalError(None, None, "WhileGrad: the forward loop kept no record.")
        plan = ctx.subplan((id(self), "grad"), gb.outputs, gb.args)
        acc: list[Any] = [None] * n_caps
        for saved in reversed(tape):
            got = plan.run(_grad_feeds(sources, dys, saved, outer))
            dys = got[:n_dy]
            for j, g in enumerate(got[n_dy:]):
                acc[j] = own(g) if acc[j] is None else accumulate(acc[j], g)
        caps = [acc[j] if acc[j] is not None else _zeros_value(fwd_caps[j]) for j in range(n_caps)]
        return dys + caps

    gradient = _no_second_order("WhileGrad")


def _invariant_shapes(
    loop_leaves: list[Any], shape_invariants: Any, structure: Any
) -> list[TensorShape]:
    if shape_invariants is None:
        return [TensorShape([]) if isinstance(x, TensorArray) else x.shape for x in loop_leaves]
    try:
        flat_inv = nest.flatten(shape_invariants)
        nest.assert_same_structure(structure, shape_invariants, check_types=False)
    except (ValueError, TypeError):
        flat_inv = []
    if len(flat_inv) != len(loop_leaves):
        raise ValueError(
            f"while_loop: shape_invariants must have the structure of loop_vars "
            f"({nest.structure_string(structure)}); got "
            f"{nest.structure_string(shape_invariants)}."
        )
    out = []
    for k, (x, inv) in enumerate(zip(loop_leaves, flat_inv)):
        if isinstance(x, TensorArray):
            out.append(TensorShape([]))
            continue
        s = as_shape(inv)
        if not s.is_compatible_with(x.shape) or (
            s.known is not None
            and x.shape.known is not None
            and any(a is not None and b is None for a, b in zip(s.known, x.shape.known))
        ):
            raise ValueError(
                f"while_loop: the shape invariant specified for loop var {k} ('{x.name}') is "
                f"not compatible with its initial shape: invariant {s}, initial {x.shape}."
            )
        out.append(s)
    return out


def _eager_while(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    structure: Any,
    single: bool,
    maximum_iterations: Any,
) -> Any:
    vars_ = structure
    limit = None if maximum_iterations is None else int(maximum_iterations)
    k = 0
    while (limit is None or k < limit) and bool(cond(*vars_)):
        out = body(*vars_)
        if single and isinstance(out, (list, tuple)) and len(out) == 1:
            out = out[0]
        vars_ = [out] if single else (list(out) if isinstance(out, (list, tuple)) else [out])
        k += 1
    return (
        vars_[0]
        if single
        else (
            type(structure)(vars_)
            if isinstance(structure, tuple) and not hasattr(structure, "_fields")
            else vars_
        )
    )


def while_loop(
    cond: Callable[..., Any],
    body: Callable[..., Any],
    loop_vars: Any,
    shape_invariants: Any = None,
    parallel_iterations: int = 10,
    back_prop: bool = True,
    swap_memory: bool = False,
    name: str | None = None,
    maximum_iterations: Any = None,
    return_same_structure: bool = False,
) -> Any:
    """Repeats `body` while `cond` is true, as one op (TF 1.15 semantics).

    Args:
        cond: a callable taking the loop vars and returning a scalar bool tensor.
        body: a callable taking the loop vars and returning their next values (same
            structure; a one-element list or tuple may be returned for a single var).
        loop_vars: a tensor, TensorArray, or a (nested) tuple/list/namedtuple/dict of them.
        shape_invariants: per loop var, a shape it keeps (None dims may change); default:
            the initial shapes.
        back_prop: whether tf.gradients may differentiate through the loop.
        parallel_iterations, swap_memory: accepted (iterations run in order, on the CPU).
        maximum_iterations: an upper bound on the iterations (int or int scalar tensor).

    Returns:
        The loop vars after the last iteration, in loop_vars' structure (a single var alone).

    Raises:
        ValueError: body returns another structure, or a var's shape leaves its invariant.
        TypeError: cond returns a non-bool; body changes a var's dtype.

    Example:
        >>> i = tf.constant(0)
        >>> r = tf.while_loop(lambda i: i < 10, lambda i: i + 1, [i])   # 10
    """
    if not callable(cond):
        raise TypeError("while_loop: cond must be callable.")
    if not callable(body):
        raise TypeError("while_loop: body must be callable.")
    if loop_vars is None or (nest.is_sequence(loop_vars) and not nest.flatten(loop_vars)):
        raise ValueError("while_loop: no loop variables provided.")
    single = not nest.is_sequence(loop_vars)
    structure = [loop_vars] if single else loop_vars
    leaves_in = nest.flatten(structure)
    g = None
    for x in leaves_in:
        t = x.handle if isinstance(x, TensorArray) else x
        if isinstance(t, Tensor):
            g = t.graph
            break
    g = g or get_default_graph()
    if getattr(g, "_eager", False):  # eager execution: a Python loop over eager ops
        return _eager_while(cond, body, structure, single, maximum_iterations)
    with g.as_default(), g.name_scope(name or "while") as scope:
        base = scope[:-1]
        leaves = [
            x if isinstance(x, TensorArray) else _to_leaf_tensor(x, "while_loop") for x in leaves_in
        ]
        tensors = [_to_leaf_tensor(x, "while_loop") for x in leaves]
        shapes = _invariant_shapes(leaves, shape_invariants, structure)
        names = [f"loop_var_{k}" for k in range(len(leaves))]
        arg_specs = [(s, t.dtype, nm) for s, t, nm in zip(shapes, tensors, names)]

        def rebuild(args: list[Tensor]) -> Any:
            packed = nest.pack_sequence_as(
                structure, [_from_leaf(x, a) for x, a in zip(leaves, args)]
            )
            return packed

        # The condition.
        cb = Body(g, f"{base}/cond")
        with cb.building():
            cargs = [cb.add_arg(s, d, nm) for s, d, nm in arg_specs]
            cv = rebuild(cargs)
            pred = cond(cv[0]) if single else cond(*cv)
            pred = convert_to_tensor(pred)
            if pred.dtype is not dtypes.bool or pred.shape.ndims not in (None, 0):
                raise TypeError(
                    f"while_loop '{base}': cond must return a scalar bool tensor; got "
                    f"{pred.dtype.name} tensor of shape {pred.shape}."
                )
        cb.close([pred])

        # The body.
        bb = Body(g, f"{base}/body")
        with bb.building():
            bargs = [bb.add_arg(s, d, nm) for s, d, nm in arg_specs]
            bv = rebuild(bargs)
            res = body(bv[0]) if single else body(*bv)
            if single and not (
                nest.is_sequence(res)
                and len(nest.flatten(res)) == 1
                and isinstance(res, (list, tuple))
            ):
                res = [res]
            elif (
                not single
                and isinstance(structure, (list, tuple))
                and not isinstance(res, (list, tuple))
                and len(leaves) == 1
            ):
                res = [res]
            try:
                nest.assert_same_structure(structure, res, check_types=False)
            except (ValueError, TypeError):
                raise ValueError(
                    f"while_loop '{base}' (at {_user_frame()}): body must return the structure "
                    f"of loop_vars, {nest.structure_string(structure)} "
                    f"({len(leaves)} vars); got {nest.structure_string(res)} "
                    f"({len(nest.flatten(res))} vars)."
                ) from None
            outs = [_to_leaf_tensor(x, "while_loop body") for x in nest.flatten(res)]
            for k, (o, t, s) in enumerate(zip(outs, tensors, shapes)):
                if o.dtype is not t.dtype:
                    raise TypeError(
                        f"while_loop '{base}': body changes the dtype of loop var {k} from "
                        f"{t.dtype.name} to {o.dtype.name}."
                    )
                if not _keeps_shape(s, o.shape):
                    raise ValueError(
                        f"while_loop '{base}': the shape of loop var {k} ('{t.name}') changes "
                        f"in the body: it enters with shape {s} and the body returns "
                        f"{o.shape} ('{o.name}'). Pass shape_invariants to allow it, e.g. "
                        f"{_relaxed(s, o.shape)}."
                    )
        bb.close(outs)

        extra: list[Tensor] = []
        if maximum_iterations is not None:
            mi = convert_to_tensor(maximum_iterations)
            if not mi.dtype.is_integer or mi.shape.ndims not in (None, 0):
                raise TypeError(
                    f"while_loop '{base}': maximum_iterations must be an int "
                    f"scalar; got {mi.dtype.name} of shape {mi.shape}."
                )
            extra.append(mi)
        controls = cb.control_captures + [
            c for c in bb.control_captures if c not in cb.control_captures
        ]
        out_specs = [spec(s, t.dtype) for s, t in zip(shapes, tensors)]
        ctx = g.control_dependencies(controls) if controls else contextlib.nullcontext()
        with ctx:
            result = apply_op(
                While,
                [*tensors, *cb.captures, *bb.captures, *extra],
                {
                    "cond": cb,
                    "body": bb,
                    "n": len(tensors),
                    "nc": len(cb.captures),
                    "nb": len(bb.captures),
                    "has_max": bool(extra),
                    "back_prop": bool(back_prop),
                    "parallel_iterations": parallel_iterations,
                    "swap_memory": swap_memory,
                    "out_specs": out_specs,
                    "saved": {},
                },
                name=base + "/",
            )
    packed = rebuild(result[:-1])
    # TF 1.15: one loop var comes back alone, even when given as [x] (unless
    # return_same_structure).
    if single or (
        not return_same_structure and len(leaves) == 1 and isinstance(packed, (list, tuple))
    ):
        return packed[0]
    return packed


def _keeps_shape(inv: TensorShape, out: TensorShape) -> bool:
    if inv.known is None:
        return True
    if out.known is None:
        return False
    if len(inv.known) != len(out.known):
        return False
    return all(a is None or a == b for a, b in zip(inv.known, out.known))


def _relaxed(a: TensorShape, b: TensorShape) -> str:
    if a.known is None or b.known is None or len(a.known) != len(b.known):
        return "tf.TensorShape(None)"
    dims = ["None" if x != y else str(x) for x, y in zip(a.known, b.known)]
    return f"tf.TensorShape([{', '.join(dims)}])"
