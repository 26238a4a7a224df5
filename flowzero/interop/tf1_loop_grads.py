"""flowzero's while-loop gradients (WhileGrad) written in TensorFlow 1.x's graph form.

A flowzero `While` keeps a record of the body values its gradient reads (its `saved` list);
`WhileGrad` runs the gradient body once per recorded iteration, last first. TF 1.x writes the
same thing as a second loop in its own frame (python/ops/control_flow_state.py):

- the forward frame gets a counter (`f_count`: Enter(0) / Merge / Switch / Add 1 /
  NextIteration / Exit) and pushes each saved value once per iteration onto a stack
  (`StackV2` outside, `StackPushV2` inside, after the counter's Add);
- the backward frame counts down from the forward count (`b_count`, runs while >= 1), pops
  each saved value (`StackPopV2` after the count's Sub; a `ControlTrigger` orders the next
  iteration after this one's pops), runs the gradient ops, carries the loop variables'
  gradients, and sums captured tensors' gradients in accumulators (`b_acc`).

A flowzero gradient TensorArray (a variant value) is TF's gradient array of the forward array
(`TensorArrayGradV3(handle, flow, source)`), named by a float flow: reads' gradients write
into it, writes' gradients read from it, gather <-> scatter; the sum of two gradient arrays
is the sum of their flows (they are one array in TF).

Not written (UnimplementedError naming the op): gradients through conds or loops inside a loop
body (the forward loop is written; its WhileGrad is refused), a record read by anything
but WhileGrad, saved TensorArray handles, gradient arrays whose forward op cannot be found,
and the split / concat gradients.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.interop.tf1_export import _is_ta, _pair, _type, op_mapping_ref
from flowzero.ops import tensor_array_ops
from flowzero.proto import types_pb2

# flowzero op types written here (graph_def dispatches them).
EXPORT_TYPES = frozenset(
    {
        "WhileGrad",
        "TensorArrayGradWrite",
        "TensorArrayGradScatter",
        "TensorArrayGradRead",
        "TensorArrayGradGather",
        "TensorArrayGradAdd",
        "TensorArrayGradZeros",
        "TensorArrayGradSplit",  # (refused: no TF form written yet)
        "TensorArrayGradConcat",
    }
)

_RESOURCE = _type(types_pb2.DT_RESOURCE)


def _unimplemented(where: str, what: str) -> errors.UnimplementedError:
    return errors.UnimplementedError(
        None, None, f"{where}: {what}; not written in TensorFlow's GraphDef form yet."
    )


def _state(w: Any) -> dict[str, Any]:
    """The writer's loop-gradient state: forward records, gradient flows, the frame now open."""
    st = getattr(w, "_loop_grads", None)
    if st is None:
        # zero: gradient arrays known to hold nothing (TF cannot read them: a read of an
        # unwritten element needs a fully known element shape), read as zeros instead.
        st = {"records": {}, "flows": {}, "frame": None, "fwd": {}, "zero": set()}
        # In a backward frame: the gradient body's args standing for a cond's record
        # (-> the stacks, the WhileGrad), and IfSaved values to pop in a gradient branch.
        st.update({"b_sync": None, "cond_records": {}, "pops": {}})
        w._loop_grads = st
    return st


def _grad_source(name: str) -> str:
    """TF's gradient source: the op name up to its first scope starting with 'gradients'."""
    parts = name.split("/")
    for i, p in enumerate(parts):
        if p.startswith("gradients"):
            return "/".join(parts[: i + 1])
    return parts[0]  # tf.gradients(name=...): its own scope


# -- the forward side --------------------------------------------------------------------------
def add_forward_record(w: Any, op: Any, frame: str, par: int, loop_cond: str, pivot: str) -> None:
    """Adds, per gradient of `op`, a counter and the pushes of `op`'s saved values to its
    forward frame (called by tf1_export._emit_while while the body's names are in `w.remap`).
    They are named in the gradient's scope, as TF names them (an importer that leaves out a
    graph's training part leaves them out too)."""
    where = f"While '{op.name}'"
    a = op.opdef.attrs
    grads = op.outputs[-1].consumers()
    for c in grads:
        if c.type != "WhileGrad":
            raise _unimplemented(where, f"its record is read by {c.type} '{c.name}'")
    bb = a["body"]
    saved = list(a["saved"].get(0, []))
    invariant: dict[int, Any] = {}
    values: dict[int, str] = {}
    conds: list[Any] = []
    for k, t in enumerate(saved):
        if t.op.type == "_Arg" and t.op._body is bb and bb.args.index(t) >= bb.n_explicit:
            invariant[k] = bb.captures[bb.args.index(t) - bb.n_explicit]  # loop-invariant
        elif t.op.type == "If" and t is t.op.outputs[-1] and t.op._body is bb:
            conds.append(t.op)  # a cond in the body: its branch values, pushed in the branch
        elif t.op.type in ("If", "While"):  # (the forward loop itself is written: only its
            # gradient is refused, by the WhileGrad)
            _state(w)["records"][op] = {
                "refused": f"a gradient through the {t.op.type} '{t.op.name}' in its body "
                "(nested control flow)"
            }
            return
        elif _is_ta(t):
            raise _unimplemented(where, f"its gradient reads the TensorArray '{t.name}'")
        else:
            values[k] = w.ref(t)
    int32 = dtypes.int32
    counts: dict[Any, str] = {}
    stacks: dict[tuple[Any, int], str] = {}
    for g in grads:
        base = f"{g.name}/forward"
        fr = _Frame(w, frame, base, par)
        zero = w.unique(f"{base}/f_count/zero")
        w.node(zero, "Const", [], {"dtype": int32, "value": np.array(0, np.int32)})
        f_enter = fr.enter(zero, int32, False, "f_count")
        f_merge = w.unique(f"{base}/f_count/Merge")
        f_next = w.unique(f"{base}/f_count/NextIteration")
        w.node(f_merge, "Merge", [f_enter, f_next], {"T": int32, "N": 2})
        f_switch = w.unique(f"{base}/f_count/Switch")
        w.node(f_switch, "Switch", [f_merge, loop_cond], {"T": int32})
        one = w.unique(f"{base}/f_count/one")
        w.node(one, "Const", [f"^{pivot}"], {"dtype": int32, "value": np.array(1, np.int32)})
        f_add = w.unique(f"{base}/f_count/Add")
        w.node(f_add, "AddV2", [f"{f_switch}:1", one], {"T": int32})
        swap = bool(a.get("swap_memory", False))
        pushes = []
        for k, value in values.items():
            stacks[(g, k)], push = _push(w, fr, base, f_add, swap, value, saved[k].dtype)
            pushes.append(push)
        # A cond's branch values, pushed inside their branch: a push of the branch not
        # taken is dead, so the counter waits on them through a ControlTrigger (TF's f_sync).
        branch_pushes = []
        for c in conds:
            kept = _cond_kept(w, c, where)
            for (b, e), ref in sorted(kept.items()):
                dtype = c.opdef.attrs["saved"][b][e].dtype
                key = (g, ("cond", c.name, b, e))
                stacks[key], push = _push(w, fr, base, f_add, swap, ref, dtype)
                branch_pushes.append(push)
        if branch_pushes:
            f_sync = w.unique(f"{base}/f_sync")
            w.node(f_sync, "ControlTrigger", [f"^{p}" for p in branch_pushes], {})
            pushes.append(f_sync)
        w.node(f_next, "NextIteration", [f_add, *(f"^{p}" for p in pushes)], {"T": int32})
        counts[g] = w.unique(f"{base}/f_count/Exit")
        w.node(counts[g], "Exit", [f_switch], {"T": int32})
    _state(w)["records"][op] = {
        "counts": counts,
        "stacks": stacks,
        "invariant": invariant,
        "par": par,
    }


def _cond_kept(w: Any, c: Any, where: str) -> dict[tuple[int, int], str]:
    """The nodes of the record entries of the cond `c` (written in the loop's frame)."""
    from flowzero.interop import tf1_cond_grads

    info = tf1_cond_grads._forwards(w).get(c)
    if info is None:
        raise _unimplemented(where, f"its cond '{c.name}' has no TensorFlow form")
    for entry, ref in info["kept"].items():
        if ref is None:
            raise _unimplemented(where, f"its cond '{c.name}' keeps a TensorArray {entry}")
    return dict(info["kept"])


def note_forward_names(
    w: Any, op: Any, enters: list[str], capture_enters: list[str], exits: list[str]
) -> None:
    """Keeps the forward loop's Enter (per loop variable and per body capture) and Exit names:
    the backward frame names its nodes after them as TF does (`<Exit>_grad/b_exit`,
    `<Enter>_grad/Exit`, `<Enter>_grad/b_acc`), which is how an importer tells which gradient
    each backward Exit gives."""
    _state(w)["records"][op]["names"] = {
        "enters": enters,
        "captures": capture_enters,
        "exits": exits,
    }


def _push(
    w: Any, fr: Any, base: str, after: str, swap: bool, value: str, dtype: Any
) -> tuple[str, str]:
    """A stack (outside the loop) and the push of `value` onto it in the frame `fr`, once per
    iteration after the count (`after`). Returns (stack, push)."""
    int32 = dtypes.int32
    size = w.unique(f"{base}/f_acc/max_size")
    w.node(size, "Const", [], {"dtype": int32, "value": np.array(-1, np.int32)})
    stack = w.unique(f"{base}/f_acc")
    w.node(stack, "StackV2", [size], {"elem_type": dtype, "stack_name": ""})
    push = w.unique(f"{base}/StackPushV2")
    w.node(
        push,
        "StackPushV2",
        [fr.enter(stack, _RESOURCE, True, "f_acc/Enter"), value, f"^{after}"],
        {"T": dtype, "swap_memory": swap},
    )
    return stack, push


# -- helpers for the frame now open ------------------------------------------------------------
class _Frame:
    """The backward frame being written: its name, pivot and constant Enters."""

    def __init__(self, w: Any, name: str, base: str, par: int) -> None:
        self.w, self.name, self.base, self.par = w, name, base, par
        self.pivot: str | None = None
        self.entered: dict[str, str] = {}

    def enter(self, src: str, dtype: Any, constant: bool, suffix: str) -> str:
        if constant and src in self.entered:
            return self.entered[src]
        name = self.w.unique(f"{self.base}/{suffix}")
        self.w.node(
            name,
            "Enter",
            [src],
            {
                "T": dtype,
                "frame_name": self.name,
                "is_constant": constant,
                "parallel_iterations": self.par,
            },
        )
        if constant:
            self.entered[src] = name
        return name


def _in_frame(w: Any, src: str, dtype: Any) -> str:
    """An outer tensor, where the open frame (if any) can read it."""
    fr = _state(w)["frame"]
    return src if fr is None else fr.enter(src, dtype, True, "Outer")


def _controls(w: Any) -> list[str]:
    fr = _state(w)["frame"]
    return [f"^{fr.pivot}"] if fr is not None and fr.pivot else []


def _fwd(w: Any, t: Any) -> Any:
    """The forward tensor a gradient body's captured argument stands for."""
    return _state(w)["fwd"].get(t, t)


def _owner(t: Any) -> tuple[Any, Any] | None:
    """(While op, body) for an argument of a While's body or condition."""
    body = t.op._body
    for op in t.graph.get_operations():
        if op.type == "While" and body in (op.opdef.attrs["body"], op.opdef.attrs["cond"]):
            return op, body
    return None  # (a branch of a cond: refused by the caller)


# Ops whose result is their first input's TensorArray, updated (or the same array).
_ARRAY_UPDATES = tensor_array_ops.ARRAY_UPDATES | {"Identity"}


def _outer_ta(t: Any, where: str) -> Any:
    """The top-level TensorArray tensor (a handle or a While's output) that the forward
    handle `t` (maybe a body argument) stands for."""
    while t.op._body is not None:
        if t.op.type != "_Arg":
            if t.op.type in _ARRAY_UPDATES:
                t = t.op.inputs[0]
                continue
            raise _unimplemented(where, f"its TensorArray is made inside a loop ('{t.name}')")
        found = _owner(t)
        if found is None:
            raise _unimplemented(where, f"its TensorArray '{t.name}' is not a loop's")
        loop, body = found
        i = body.args.index(t)
        if i < body.n_explicit:
            t = loop.outputs[i]  # after the forward loop: the order the gradient needs
        else:
            t = body.captures[i - body.n_explicit]
    return t


def _root(t: Any, where: str) -> Any:
    """The TensorArrayV3 op that made the forward array `t`."""
    while t.op.type != "TensorArrayV3":
        if t.op.type in _ARRAY_UPDATES:
            t = t.op.inputs[0]
        elif t.op.type == "While":
            t = t.op.inputs[t.value_index]
        elif t.op.type == "_Arg":
            t = _outer_ta(t, where)
        else:
            raise _unimplemented(where, f"its TensorArray comes from {t.op.type} '{t.op.name}'")
    return t.op


def _forward_op(w: Any, op: Any, key: Any, fwd_type: str, pos: int, where: str) -> Any:
    """The forward op whose gradient `op` is: the `fwd_type` consumer of the forward tensor
    behind `key` at input `pos` (its name scope decides between several)."""
    t = _fwd(w, key)
    cands = [c for c in t.consumers() if c.type == fwd_type and c.inputs[pos] is t]
    if len(cands) > 1:
        cands = [c for c in cands if f"/{c.name}_grad/" in f"/{op.name}"]
    if len(cands) != 1:
        raise _unimplemented(where, f"the {fwd_type} whose gradient it is cannot be found")
    return cands[0]


def _ordering_flow(w: Any, fwd: Any, where: str) -> str:
    """A flow that orders a new gradient array after the forward array's writes (TF sizes
    the gradient array from the forward one when it is made)."""
    h = fwd.inputs[0]
    if h.op._body is not None:
        h = _outer_ta(h, where)
    return _in_frame(w, _pair(w, h, where)[1], dtypes.float32)


def _grad_array(w: Any, op: Any, ta: Any, flow: str) -> tuple[str, str]:
    """TF's gradient array of `ta` (a TensorArrayV3 op): (handle, flow) after `flow`."""
    base = f"{op.name}/TensorArrayGrad"
    g = w.unique(f"{base}/TensorArrayGradV3")
    w.node(
        g,
        "TensorArrayGradV3",
        [_in_frame(w, ta.name, _RESOURCE), flow],
        {"source": _grad_source(_state(w).get("source") or op.name)},
    )
    gf = w.unique(f"{base}/gradient_flow")
    w.node(gf, "Identity", [flow, f"^{g}"], {"T": dtypes.float32})
    return g, gf


def _flow(w: Any, t: Any, where: str) -> str:
    flow = _state(w)["flows"].get(t)
    if flow is None:
        raise _unimplemented(where, f"reads the gradient TensorArray '{t.name}' ({t.op.type})")
    return flow


# -- gradient TensorArray ops ------------------------------------------------------------------
def emit(w: Any, op: Any) -> None:
    if op.type == "WhileGrad":
        _emit_while_grad(w, op)
        return
    t, where = op.type, f"{op.type} '{op.name}'"
    flows = _state(w)["flows"]
    if t in ("TensorArrayGradWrite", "TensorArrayGradScatter"):
        # A read's (a gather's) gradient: write (scatter) dy into the gradient array.
        fwd_type = "TensorArrayReadV3" if t == "TensorArrayGradWrite" else "TensorArrayGatherV3"
        fwd = _forward_op(w, op, op.inputs[0], fwd_type, 1, where)
        ta = _root(fwd.inputs[0], where)
        g, gf = _grad_array(w, op, ta, _ordering_flow(w, fwd, where))
        kind = "TensorArrayWriteV3" if t == "TensorArrayGradWrite" else "TensorArrayScatterV3"
        ins = [g, w.ref(op.inputs[0]), w.ref(op.inputs[1]), gf]
        w.node(op.name, kind, ins, {"T": op.inputs[1].dtype})
        flows[op.outputs[0]] = op.name
    elif t in ("TensorArrayGradRead", "TensorArrayGradGather"):
        # A write's (a scatter's) gradient: read (gather) from the gradient array.
        if op.inputs[0] in _state(w)["zero"]:  # nothing written: zeros like the value
            w.node(op.name, "ZerosLike", [w.ref(op.inputs[2])], {"T": op.inputs[2].dtype})
            return
        fwd_type = "TensorArrayWriteV3" if t == "TensorArrayGradRead" else "TensorArrayScatterV3"
        fwd = _forward_op(w, op, op.inputs[2], fwd_type, 2, where)
        ta = _root(fwd.inputs[0], where)
        g, gf = _grad_array(w, op, ta, _flow(w, op.inputs[0], where))
        value = op.inputs[2]
        kind = "TensorArrayReadV3" if t == "TensorArrayGradRead" else "TensorArrayGatherV3"
        w.node(op.name, kind, [g, w.ref(op.inputs[1]), gf], {"dtype": value.dtype})
    elif t == "TensorArrayGradAdd":
        parts = [_flow(w, h, where) for h in op.inputs]
        if len(parts) == 1:
            w.node(op.name, "Identity", parts, {"T": dtypes.float32})
        else:
            w.node(op.name, "AddN", parts, {"T": dtypes.float32, "N": len(parts)})
        flows[op.outputs[0]] = op.name
        if all(h in _state(w)["zero"] for h in op.inputs):
            _state(w)["zero"].add(op.outputs[0])
    elif t == "TensorArrayGradZeros":
        w.node(
            op.name,
            "Const",
            _controls(w),
            {"dtype": dtypes.float32, "value": np.array(0.0, np.float32)},
        )
        flows[op.outputs[0]] = op.name
        _state(w)["zero"].add(op.outputs[0])
    else:  # TensorArrayGradSplit / TensorArrayGradConcat
        raise _unimplemented(where, "the gradient of a TensorArray split or concat")


# -- the backward loop -------------------------------------------------------------------------
def _differentiable(t: Any) -> bool:
    return t.dtype.is_floating or t.dtype.is_complex or t.dtype is dtypes.variant


def _emit_while_grad(w: Any, op: Any) -> None:
    where = f"WhileGrad '{op.name}'"
    st = _state(w)
    if st["frame"] is not None:
        raise _unimplemented(where, "a loop gradient inside a loop gradient")
    fwd = op.inputs[0].op
    rec = st["records"].get(fwd)
    if rec is None:
        raise _unimplemented(where, f"its forward loop '{fwd.name}' has no TensorFlow form")
    if "refused" in rec:
        raise _unimplemented(where, rec["refused"])
    a = op.opdef.attrs
    fa = fwd.opdef.attrs
    n_dy, n_caps = a["n_dy"], a["n_caps"]
    gb = a["grad_body"]
    sources = a["sources"]
    bb = fa["body"]
    n = fa["n"]
    for inner in gb.ops:  # (a cond's gradient and IfSaved: tf1_cond_grads, popping)
        if inner.type in ("While", "WhileGrad"):
            raise _unimplemented(where, f"holds {inner.type} '{inner.name}' (nested control flow)")
    diff_loop = [i for i in range(n) if _differentiable(bb.args[i])]
    diff_caps = [j for j, c in enumerate(bb.capture_args()) if _differentiable(c)]
    if len(diff_loop) != n_dy or len(diff_caps) != n_caps:
        raise _unimplemented(where, f"its inputs do not match its forward loop '{fwd.name}'")
    outer_ins = op.inputs[1 + n_dy + n_caps :]
    fwd_saved = list(fa["saved"].get(0, []))
    base = f"{op.name}/tf1"
    fr = _Frame(w, f"{op.name}/while_context", base, int(rec["par"]))
    int32, float32 = dtypes.int32, dtypes.float32

    # The outer values the loop starts from (read before the frame opens).
    starts: list[tuple[str, Any]] = []
    for k in range(n_dy):
        dy = op.inputs[1 + k]
        starts.append((_flow(w, dy, where), float32) if _is_ta(dy) else (w.ref(dy), dy.dtype))
    for k in range(n_caps):
        cap = op.inputs[1 + n_dy + k]
        if _is_ta(cap):
            z = w.unique(f"{base}/b_acc/zero")
            w.node(z, "Const", [], {"dtype": float32, "value": np.array(0.0, np.float32)})
            starts.append((z, float32))
        else:
            z = w.unique(f"{base}/b_acc/zeros")
            w.node(z, "ZerosLike", [w.ref(cap)], {"T": cap.dtype})
            starts.append((z, cap.dtype))
    outer_refs: list[str | tuple[str, str]] = []
    for t in outer_ins:
        outer_refs.append(_pair(w, t, where) if _is_ta(t) else w.ref(t))
    invariant_refs = {k: w.ref(t) for k, t in rec["invariant"].items() if not _is_ta(t)}

    saved_remap, saved_arrays = dict(w.remap), dict(w.tensor_arrays)
    st["frame"], st["source"] = fr, _grad_source(op.name)
    try:
        # The count: from the forward count down to 1.
        b_enter = fr.enter(rec["counts"][op], int32, False, "b_count")
        b_merge = w.unique(f"{base}/b_count/Merge")
        b_next = w.unique(f"{base}/b_count/NextIteration")
        w.node(b_merge, "Merge", [b_enter, b_next], {"T": int32, "N": 2})
        one_c = w.unique(f"{base}/b_count/one")
        w.node(one_c, "Const", [], {"dtype": int32, "value": np.array(1, np.int32)})
        one = fr.enter(one_c, int32, True, "b_count/Enter")
        ge = w.unique(f"{base}/b_count/GreaterEqual")
        w.node(ge, "GreaterEqual", [b_merge, one], {"T": int32})
        lc = w.unique(f"{base}/b_count/LoopCond")
        w.node(lc, "LoopCond", [ge], {})
        b_switch = w.unique(f"{base}/b_count/Switch")
        w.node(b_switch, "Switch", [b_merge, lc], {"T": int32})
        sub = w.unique(f"{base}/b_count/Sub")
        w.node(sub, "Sub", [f"{b_switch}:1", one], {"T": int32})
        fr.pivot = sub

        # The loop variables: the gradients carried, then the accumulators.
        names = rec.get("names")
        if names is not None:  # (TF's names: what each backward Exit is the gradient of)
            fwd_exits = [names["exits"][i] for i in diff_loop]
            fwd_enters = [names["enters"][i] for i in diff_loop]
            fwd_enters += [names["captures"][j] for j in diff_caps]
            b_exits = [f"{x}_grad/b_exit" for x in fwd_exits] + ["b_acc"] * n_caps
            out_names = [f"{x}_grad/Exit" for x in fwd_enters[:n_dy]]
            out_names += [f"{x}_grad/b_acc" for x in fwd_enters[n_dy:]]
        else:
            b_exits, out_names = ["b_exit"] * len(starts), ["Exit"] * len(starts)
        nexts, switches = [], []
        for (src, dt), b_name in zip(starts, b_exits):
            e = fr.enter(src, dt, False, b_name)
            m = w.unique(f"{base}/Merge")
            nx = w.unique(f"{base}/NextIteration")
            w.node(m, "Merge", [e, nx], {"T": dt, "N": 2})
            s = w.unique(f"{base}/Switch")
            w.node(s, "Switch", [m, lc], {"T": dt})
            nexts.append(nx)
            switches.append(s)
        for k in _zero_dys(gb, [op.inputs[1 + k] in st["zero"] for k in range(n_dy)]):
            st["zero"].add(gb.args[k])
        for k in range(n_dy):
            arg = gb.args[k]
            if _is_ta(arg):
                st["flows"][arg] = f"{switches[k]}:1"
            else:
                w.remap[arg.op.name] = f"{switches[k]}:1"

        # The captured values: pops of the forward record, or constant Enters.
        pops = []
        for j, (kind, idx) in enumerate(sources):
            arg = gb.args[gb.n_explicit + j]
            if kind == "saved":
                st["fwd"][arg] = fwd_saved[idx]
                if fwd_saved[idx].op.type == "If":  # a cond's record: popped in its branches
                    st["cond_records"][arg] = (rec["stacks"], op)
                    continue
                if idx in rec["invariant"]:
                    if idx not in invariant_refs:
                        raise _unimplemented(where, "its gradient reads a captured TensorArray")
                    w.remap[arg.op.name] = fr.enter(invariant_refs[idx], arg.dtype, True, "Outer")
                    continue
                stack = rec["stacks"][(op, idx)]
                pop = w.unique(f"{base}/StackPopV2")
                w.node(
                    pop,
                    "StackPopV2",
                    [fr.enter(stack, _RESOURCE, True, "StackPopV2/Enter"), f"^{sub}"],
                    {"elem_type": arg.dtype},
                )
                pops.append(pop)
                w.remap[arg.op.name] = pop
            else:
                st["fwd"][arg] = outer_ins[idx]
                ref = outer_refs[idx]
                if isinstance(ref, tuple):
                    w.tensor_arrays[arg] = (
                        fr.enter(ref[0], _RESOURCE, True, "OuterHandle"),
                        fr.enter(ref[1], float32, True, "OuterFlow"),
                    )
                else:
                    w.remap[arg.op.name] = fr.enter(ref, arg.dtype, True, "Outer")
        sync = w.unique(f"{base}/b_sync")
        st["b_sync"] = w.node(sync, "ControlTrigger", [f"^{p}" for p in pops], {})
        w.node(b_next, "NextIteration", [sub, f"^{sync}"], {"T": int32})
        b_exit = w.unique(f"{base}/b_count/Exit")
        w.node(b_exit, "Exit", [b_switch], {"T": int32})

        # The gradient body.
        for inner in gb.ops:
            if inner.type == "_Arg":
                continue
            for t in inner.inputs:
                r = op_mapping_ref(t)
                if t.op._body is not gb and r not in w.remap and not _is_ta(t):
                    w.remap[r] = fr.enter(r, t.dtype, True, "Outer")
            w.emit(inner, sub)
        results = []
        for out in gb.outputs:
            if _is_ta(out):
                results.append(_flow(w, out, where))
            else:
                results.append(w.ref(out))
        for k in range(n_dy, n_dy + n_caps):  # accumulators: acc + this iteration's gradient
            add = w.unique(f"{base}/b_acc/Add")
            dt = starts[k][1]
            w.node(add, "AddV2", [f"{switches[k]}:1", results[k]], {"T": dt})
            results[k] = add
        for nx, r, (_, dt) in zip(nexts, results, starts):
            w.node(nx, "NextIteration", [r], {"T": dt})
    finally:
        st["frame"], st["source"], st["b_sync"] = None, None, None
        st["cond_records"], st["pops"] = {}, {}
        w.remap, w.tensor_arrays = saved_remap, saved_arrays
    exits = []
    for s, (_, dt), out_name in zip(switches, starts, out_names):
        ex = w.unique(f"{base}/{out_name}")
        w.node(ex, "Exit", [s], {"T": dt})
        exits.append(ex)
    w.node(op.name, "IdentityN", exits, {"T": [dt for _, dt in starts]})
    zero = {gb.args[k] for k in range(n_dy)} & st["zero"]
    for k, t in enumerate(op.outputs):
        if _is_ta(t):
            st["flows"][t] = f"{op.name}:{k}" if k else op.name
            if k < n_dy and gb.args[k] in zero:
                st["zero"].add(t)


def _zero_dys(gb: Any, start: list[bool]) -> list[int]:
    """The gradient arrays carried by the loop that stay empty in every iteration: empty at
    the start, and the body returns an empty array for them when they are empty."""
    zero = {k for k, z in enumerate(start) if z}
    while True:
        args = {gb.args[k] for k in zero}
        keep = {k for k in zero if _is_zero(gb.outputs[k], args)}
        if keep == zero:
            return sorted(zero)
        zero = keep


def _is_zero(t: Any, zero_args: set[Any]) -> bool:
    if t in zero_args or t.op.type == "TensorArrayGradZeros":
        return True
    if t.op.type == "TensorArrayGradAdd":
        return all(_is_zero(x, zero_args) for x in t.op.inputs)
    return False
