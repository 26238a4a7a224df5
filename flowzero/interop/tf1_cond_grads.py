"""flowzero's tf.cond gradients written in TensorFlow 1.x's graph form.

The gradient of a flowzero `If` is another `If` on the same pred whose branches are the
forward branches' gradients; they read the forward branch's values through an `IfSaved` op
(the forward If's record). TF 1.x writes a cond's gradient as plain dataflow instead
(python/ops/control_flow_grad.py):

- each upstream gradient dy of a forward result (a `Merge`) is let into the gradient's
  branches by `Switch(dy, pred_id)`, named `<forward Merge>_grad/cond_grad`;
- the gradient ops read the forward branch's tensors directly: TF's deadness makes this right
  (the branch not taken is dead, and so is the gradient's branch for it), so `IfSaved` has no
  node of its own;
- the gradient of each tensor a forward branch let in (through a `Switch`) is
  `Merge(false_grad, true_grad)`, named `<forward Switch>_grad/cond_grad`, zeros on the side
  whose branch did not read it.

The names (under the gradient's scope, e.g. `gradients/`) are TF's: an importer tells a cond's
gradient by them (flowzero's: tf1_conds.py `_map_gradient`).

Not written (UnimplementedError naming the op): second derivatives through a cond (the
gradient of an `IfSaved`), control flow inside a gradient branch, TensorArrays in a gradient.
"""

from __future__ import annotations

import re
from typing import Any

from flowzero.framework import dtypes, errors
from flowzero.interop.tf1_export import _is_ta, op_mapping_ref

_GRADIENTS = re.compile(r"^gradients(_\d+)?/")


def _unimplemented(where: str, what: str) -> errors.UnimplementedError:
    return errors.UnimplementedError(
        None, None, f"{where}: {what}; not written in TensorFlow's GraphDef form yet."
    )


def _forwards(w: Any) -> dict[Any, dict[str, Any]]:
    st = getattr(w, "_cond_grads", None)
    if st is None:
        st = w._cond_grads = {}
    return st


def note_forward(
    w: Any,
    op: Any,
    pred_id: str,
    switches: dict[tuple[int, int], str],
    merges: list[str],
    kept: dict[tuple[int, int], str | None],
) -> None:
    """Keeps what the gradient of the forward If `op` (written by tf1_export._emit_if) reads:
    its `pred_id`, the Switch letting in each branch argument, its Merges, and the node of
    each record entry (None: a TensorArray)."""
    _forwards(w)[op] = {"pred_id": pred_id, "switches": switches, "merges": merges, "kept": kept}


def _forward_of(w: Any, op: Any, where: str) -> tuple[Any, dict[str, Any]]:
    name = op.opdef.attrs["forward"]
    try:
        fwd = op.graph.get_operation_by_name(name)
    except (KeyError, ValueError):
        raise _unimplemented(where, f"its forward cond '{name}' is not in the graph") from None
    info = _forwards(w).get(fwd)
    if info is None and "forward" in fwd.opdef.attrs:
        raise _unimplemented(
            where, f"a second derivative through tf.cond (through the gradient '{name}')"
        )
    if info is None:
        raise _unimplemented(where, f"its forward cond '{name}' has no TensorFlow form")
    return fwd, info


def emit_saved(w: Any, op: Any) -> None:
    """IfSaved: no node; its values are the forward branch's tensors, read directly."""
    where = f"IfSaved '{op.name}'"
    st = getattr(w, "_loop_grads", None)
    if st is not None and op.inputs[0] in st["cond_records"]:
        # In a loop's backward frame: each value is popped inside the gradient branch that
        # reads it (emit_grad_if), from the stack its forward branch pushed onto.
        stacks, grad = st["cond_records"][op.inputs[0]]
        fwd_name = op.opdef.attrs["forward"]
        for t, (b, e) in zip(op.outputs, op.opdef.attrs["entries"]):
            stack = stacks.get((grad, ("cond", fwd_name, b, e)))
            if stack is None:
                raise _unimplemented(where, f"its record entry {(b, e)} was not pushed")
            st["pops"][op_mapping_ref(t)] = (stack, t.dtype, b)
        return
    fwd, info = _forward_of(w, op, where)
    for t, entry in zip(op.outputs, op.opdef.attrs["entries"]):
        ref = info["kept"].get(tuple(entry))
        if ref is None:
            b, e = entry
            kept = fwd.opdef.attrs["saved"][b][e]
            if kept.op.type in ("If", "While"):
                raise _unimplemented(
                    where,
                    f"a gradient through the {kept.op.type} '{kept.op.name}' in a branch "
                    "(nested control flow)",
                )
            raise _unimplemented(where, f"its record entry {tuple(entry)} is a TensorArray")
        w.remap[op_mapping_ref(t)] = ref


def _prefix(op: Any, fwd: Any) -> str:
    """The gradient's scope (`gradients/`): what TF's gradient node names start with."""
    stem = f"{fwd.name}_grad/"
    at = op.name.find(stem)
    if at > 0 and op.name[at - 1] == "/":
        return op.name[:at]
    return op.name.rpartition("/")[0] + "/" if "/" in op.name else ""


def emit_grad_if(w: Any, op: Any) -> None:
    """The gradient If as TF 1.x's cond gradient (see the module docstring)."""
    from flowzero.ops.control_flow_ops import _differentiable

    a = op.opdef.attrs
    where = f"If '{op.name}' (the gradient of a tf.cond)"
    fwd, info = _forward_of(w, op, where)
    fa = fwd.opdef.attrs
    grad_ys = a.get("grad_ys")
    if grad_ys is None:
        raise _unimplemented(where, "it does not say which inputs are upstream gradients")
    for key, _ in grad_ys:
        if key[0] != "out":
            raise _unimplemented(where, "a second derivative through tf.cond")
    xs_pos = [
        (b, j)
        for b, body in enumerate(fa["branches"])
        for j, t in enumerate(body.capture_args())
        if _differentiable(t)
    ]
    outs = op.outputs[:-1]
    if len(xs_pos) != len(outs):
        raise _unimplemented(where, f"its outputs do not match its forward cond '{fwd.name}'")
    for t in outs:
        if _is_ta(t):
            raise _unimplemented(where, f"its result '{t.name}' is a TensorArray gradient")
    prefix = _prefix(op, fwd)
    base = f"{prefix}{fwd.name}/tf1_grad"
    controls = [f"^{c.name}" for c in op.control_inputs]
    st = getattr(w, "_loop_grads", None)
    frame = st["frame"] if st is not None else None
    pred_id = info["pred_id"]
    if frame is not None:  # in a loop's backward frame: the pred popped for this iteration
        pred_id = w.unique(f"{base}/pred_id")
        w.node(pred_id, "Identity", [w.ref(op.inputs[0])], {"T": dtypes.bool})

    # The upstream gradients: one Switch per forward result (both outputs used).
    # (Two results with one upstream tensor get a Switch each, as in TF: an importer reads
    # which result each gradient is of from the Switch's name.)
    upstream: dict[Any, str] = {}  # upstream gradient -> its (first) Switch
    for (_, k), pos in grad_ys:
        if pos < 0:
            continue
        gy = op.inputs[pos]
        sw = w.unique(f"{prefix}{info['merges'][k]}_grad/cond_grad")
        w.node(sw, "Switch", [w.ref(gy), pred_id, *controls], {"T": gy.dtype})
        upstream.setdefault(gy, sw)
    # Pivots for the gradient branches' input-less nodes.
    psw = w.unique(f"{base}/Switch")
    w.node(psw, "Switch", [pred_id, pred_id, *controls], {"T": dtypes.bool})
    pivots = []
    for out, label in ((1, "switch_t"), (0, "switch_f")):
        pv = w.unique(f"{base}/{label}")
        w.node(pv, "Identity", [f"{psw}:{out}" if out else psw], {"T": dtypes.bool})
        pivots.append(pv)

    saved = (dict(w.remap), dict(w.tensor_arrays))
    results: list[list[str]] = []
    for b, gb in enumerate(a["branches"]):  # 0: true (Switch output 1), 1: false (output 0)
        out = 1 - b

        def let_in(t: Any, b_out: int = out) -> str:
            if _is_ta(t):
                raise _unimplemented(where, f"the TensorArray '{t.name}' enters a branch")
            sw = w.unique(f"{base}/Switch")
            w.node(sw, "Switch", [w.ref(t), pred_id, *controls], {"T": t.dtype})
            return f"{sw}:{b_out}" if b_out else sw

        lo = a["split"][b]
        for j, arg in enumerate(gb.args):
            t = op.inputs[1 + lo + j]
            if t in upstream:
                ref = f"{upstream[t]}:{out}" if out else upstream[t]
            elif frame is not None and op_mapping_ref(t) in st["pops"]:
                ref = _pop(w, st, frame, op_mapping_ref(t), pivots[b], where)
            elif t.op.type == "IfSaved":
                ref = w.ref(t)  # the forward branch's tensor (see emit_saved)
            else:
                ref = let_in(t)
            w.remap[op_mapping_ref(arg)] = ref
        before = len(w.gd.node)
        for inner in gb.ops:
            if inner.type == "_Arg":
                continue
            if inner.type in ("While", "If", "WhileGrad", "IfSaved"):
                raise _unimplemented(
                    where, f"holds {inner.type} '{inner.name}' (nested control flow)"
                )
            for t in inner.inputs:
                r = op_mapping_ref(t)
                if t.op._body is not gb and r not in w.remap:
                    w.remap[r] = let_in(t)
            if inner.type == "BranchZeros":  # zeros for an input of the other branch
                x = inner.inputs[0]
                if _is_ta(x):
                    raise _unimplemented(where, f"a TensorArray gradient ('{inner.name}')")
                w.node(inner.name, "ZerosLike", [w.ref(x)], {"T": x.dtype})
                continue
            w.emit(inner, pivots[b])
        renamed = _rename(w, before, gb.scope, prefix)
        results.append([_renamed_ref(w.ref(t), renamed) for t in gb.outputs])
        w.remap, w.tensor_arrays = dict(saved[0]), dict(saved[1])
    merges = []
    for i, ((b, j), t) in enumerate(zip(xs_pos, outs)):
        m = w.unique(f"{prefix}{info['switches'][(b, j)]}_grad/cond_grad")
        w.node(m, "Merge", [results[1][i], results[0][i], *controls], {"T": t.dtype, "N": 2})
        merges.append(m)
    w.node(op.name, "IdentityN", merges, {"T": [t.dtype for t in outs]})


def _pop(w: Any, st: dict[str, Any], frame: Any, key: str, pivot: str, where: str) -> str:
    """A cond's branch value in a loop's backward frame: popped inside the gradient branch
    (dead, so not popped, when that branch is not taken, as its push was not run), after
    the count's Sub; the iteration's ControlTrigger waits on it."""
    from flowzero.interop.tf1_loop_grads import _RESOURCE

    stack, dtype, _ = st["pops"][key]
    pop = w.unique(f"{frame.base}/StackPopV2")
    handle = frame.enter(stack, _RESOURCE, True, "StackPopV2/Enter")
    w.node(pop, "StackPopV2", [handle, f"^{frame.pivot}", f"^{pivot}"], {"elem_type": dtype})
    if st["b_sync"] is None:
        raise _unimplemented(where, "no backward iteration to order its pops in")
    st["b_sync"].input.append(f"^{pop}")
    return pop


def _renamed_ref(ref: str, renamed: dict[str, str]) -> str:
    name, colon, index = ref.partition(":")
    ctrl = name.startswith("^")
    name = name[1:] if ctrl else name
    name = renamed.get(name, name)
    return ("^" if ctrl else "") + name + colon + index


def _rename(w: Any, before: int, scope: str, prefix: str) -> dict[str, str]:
    """Names the gradient branch's nodes (written from `before` on) as TF names gradient ops:
    `<gradients scope>/<forward op>_grad/...` instead of the branch body's scope."""
    renamed: dict[str, str] = {}
    head = scope + "/"
    for node in w.gd.node[before:]:
        if node.name.startswith(head):
            rest = _GRADIENTS.sub("", node.name[len(head) :], count=1)
            renamed[node.name] = w.unique(prefix + rest)
    if renamed:
        for node in w.gd.node[before:]:
            node.name = renamed.get(node.name, node.name)
            inputs = [_renamed_ref(i, renamed) for i in node.input]
            del node.input[:]
            node.input.extend(inputs)
    return renamed
