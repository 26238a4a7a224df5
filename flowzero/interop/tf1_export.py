"""flowzero's while loops and TensorArrays written in TensorFlow 1.x's graph form.

A flowzero `While` op runs two bodies (regions of the graph whose inputs are `_Arg` ops). TF1
writes a loop as dataflow in one frame instead; for loop variable i:

    Enter_i(init) -> Merge_i(Enter_i, NextIteration_i) -> [condition] -> LoopCond
    Switch_i(Merge_i, LoopCond): output 1 -> Identity_i -> [body] -> NextIteration_i
                                  output 0 -> Exit_i (the loop's result)

and each tensor read from outside comes in through an `Enter` with `is_constant=True`. The
body's and the condition's ops are written with their own names, their `_Arg` inputs renamed to
`Identity_i` / `Merge_i` / the constant `Enter`s. A flowzero TensorArray handle (one variant
tensor) is TF's pair (resource handle, float flow): the flow is what the loop carries.

A loop whose record feeds a gradient (WhileGrad) also counts its iterations and pushes the
values its gradient reads (tf1_loop_grads.py writes the gradient loop).

Conds and loops nest in loop bodies and in cond branches: the inner construct is written
inside the outer frame or branch (its input-less nodes hang on the outer pivot, `w.pivot`).

Not written (UnimplementedError): gradients taken inside a body or branch (e.g. through a loop
in a cond's branch), and TensorArray ops other than create / read / write / gather / scatter /
size / split / concat.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.proto import attr_value_pb2, types_pb2

TENSOR_ARRAY_TYPES = frozenset(
    {
        "TensorArrayV3",
        "TensorArrayWriteV3",
        "TensorArrayReadV3",
        "TensorArrayGatherV3",
        "TensorArrayScatterV3",
        "TensorArraySizeV3",
        "TensorArrayConcatV3",
        "TensorArraySplitV3",
    }
)


_FLOW = dtypes.float32  # (the dtype of a TensorArray's flow)


def _type(enum: int) -> Any:
    return attr_value_pb2.AttrValue(type=enum)


def _is_ta(t: Any) -> bool:
    return t.dtype is dtypes.variant


def emit(w: Any, op: Any) -> None:
    if op.type == "While":
        _emit_while(w, op)
    elif op.type == "If" and "forward" in op.opdef.attrs:  # a cond's gradient
        from flowzero.interop import tf1_cond_grads

        tf1_cond_grads.emit_grad_if(w, op)
    elif op.type == "IfSaved":
        from flowzero.interop import tf1_cond_grads

        tf1_cond_grads.emit_saved(w, op)
    elif op.type == "If":
        _emit_if(w, op)
    else:
        _emit_tensor_array(w, op)


def _emit_if(w: Any, op: Any) -> None:
    """flowzero's If as TF1's tf.cond: Switch(x, pred) lets each outer tensor into the branch
    that runs (output 1: true, 0: false), constants hang on a pivot (`switch_t` / `switch_f`),
    and each result is Merge(false_value, true_value)."""
    a = op.opdef.attrs
    where = f"If '{op.name}'"
    branches = a["branches"]
    for body in branches:
        for inner in body.ops:
            if inner.type in ("WhileGrad", "IfSaved"):  # (a gradient taken inside a branch)
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: holds {inner.type} '{inner.name}'; this nesting of control "
                    "flow has no TensorFlow GraphDef form here yet.",
                )
    for t in op.outputs[:-1]:
        if _is_ta(t):
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: its result '{t.name}' is a TensorArray; not written in "
                "TensorFlow's form yet.",
            )
    for c in op.outputs[-1].consumers():  # its record: the gradient reads branch values
        if c.type != "IfSaved":
            raise errors.UnimplementedError(
                None, None, f"{where}: its record is read by {c.type} '{c.name}'; not written."
            )
    base = f"{op.name}/tf1"
    pred = w.ref(op.inputs[0])
    controls = [f"^{c.name}" for c in op.control_inputs]  # (every branch op waits on these)
    psw = w.unique(f"{base}/Switch")
    w.node(psw, "Switch", [pred, pred, *controls], {"T": dtypes.bool})
    pivots = []
    for out, label in ((1, "switch_t"), (0, "switch_f")):
        pv = w.unique(f"{base}/{label}")
        w.node(pv, "Identity", [f"{psw}:{out}" if out else psw], {"T": dtypes.bool})
        pivots.append(pv)
    pred_id = w.unique(f"{base}/pred_id")
    w.node(pred_id, "Identity", [pred, *controls], {"T": dtypes.bool})
    saved = (dict(w.remap), dict(w.tensor_arrays))
    results: list[list[str]] = []
    switches: dict[tuple[int, int], str] = {}  # (branch, arg) -> the Switch letting it in
    kept: dict[tuple[int, int], str | None] = {}  # (branch, k) -> record entry k's node
    for b, body in enumerate(branches):  # 0: true (Switch output 1), 1: false (output 0)
        out = 1 - b

        def let_in(t: Any, b_out: int = out) -> str:
            if _is_ta(t):
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: a TensorArray enters a branch; not written in "
                    "TensorFlow's form yet.",
                )
            sw = w.unique(f"{base}/Switch")
            w.node(sw, "Switch", [w.ref(t), pred_id], {"T": t.dtype})
            return f"{sw}:{b_out}" if b_out else sw

        def let_in_array(t: Any, b_out: int = out) -> tuple[str, str]:
            """A TensorArray read in the branch: its handle and flow, each switched (TF
            switches a resource handle like any value)."""
            refs = []
            for src, dt in zip(_pair(w, t, where), (_type(types_pb2.DT_RESOURCE), _FLOW)):
                sw = w.unique(f"{base}/Switch")
                w.node(sw, "Switch", [src, pred_id], {"T": dt})
                refs.append(f"{sw}:{b_out}" if b_out else sw)
            return refs[0], refs[1]

        lo = a["split"][b]
        for j, arg in enumerate(body.args):
            t = op.inputs[1 + lo + j]
            if _is_ta(t):
                w.tensor_arrays[arg] = let_in_array(t)
                switches[(b, j)] = w.tensor_arrays[arg][1].partition(":")[0]
                continue
            w.remap[op_mapping_ref(arg)] = let_in(t)
            switches[(b, j)] = w.remap[op_mapping_ref(arg)].partition(":")[0]
        for inner in body.ops:
            if inner.type == "_Arg":
                continue
            for t in inner.inputs:
                r = op_mapping_ref(t)
                if t.op._body is not body and r not in w.remap:
                    w.remap[r] = let_in(t)
            w.emit(inner, pivots[b])
        results.append([w.ref(t) for t in body.outputs])
        for k, t in enumerate(a["saved"].get(b, [])):  # (the gradient reads them directly)
            kept[(b, k)] = None if _is_ta(t) else w.ref(t)
        w.remap, w.tensor_arrays = dict(saved[0]), dict(saved[1])
    merges = []
    for k, t in enumerate(op.outputs[:-1]):
        m = w.unique(f"{base}/Merge")
        w.node(m, "Merge", [results[1][k], results[0][k]], {"T": t.dtype, "N": 2})
        merges.append(m)
    w.node(op.name, "IdentityN", merges, {"T": [t.dtype for t in op.outputs[:-1]]})
    from flowzero.interop import tf1_cond_grads  # (for its gradient, if any)

    tf1_cond_grads.note_forward(w, op, pred_id, switches, merges, kept)


def _pair(w: Any, t: Any, where: str) -> tuple[str, str]:
    pair = w.tensor_arrays.get(t)
    if pair is None:
        raise errors.UnimplementedError(
            None,
            None,
            f"{where}: reads a TensorArray ('{t.name}', made by {t.op.type}) "
            "that has no TensorFlow form.",
        )
    return pair


def _emit_tensor_array(w: Any, op: Any) -> None:
    a, t, name = op.opdef.attrs, op.type, op.name
    where = f"{t} '{name}'"
    if t == "TensorArrayV3":
        shape = a.get("element_shape")
        w.node(
            name,
            "TensorArrayV3",
            [w.ref(op.inputs[0])],
            {
                "dtype": a["dtype"],
                "element_shape": shape if shape is not None else convert_shape(None),
                "dynamic_size": bool(a.get("dynamic_size", False)),
                "clear_after_read": bool(a.get("clear_after_read", True)),
                "identical_element_shapes": False,
                "tensor_array_name": a.get("tensor_array_name") or "",
            },
        )
        w.tensor_arrays[op.outputs[0]] = (name, f"{name}:1")
        return
    handle, flow = _pair(w, op.inputs[0], where)
    ins = [w.ref(x) for x in op.inputs[1:]]
    if t in ("TensorArrayWriteV3", "TensorArrayScatterV3"):
        w.node(name, t, [handle, *ins, flow], {"T": op.inputs[2].dtype})
        w.tensor_arrays[op.outputs[0]] = (handle, name)
    elif t == "TensorArrayReadV3":
        w.node(name, t, [handle, *ins, flow], {"dtype": a["dtype"]})
    elif t == "TensorArrayGatherV3":
        shape = a.get("element_shape")
        attrs: dict[str, Any] = {"dtype": a["dtype"]}
        if shape is not None:
            attrs["element_shape"] = shape
        w.node(name, t, [handle, *ins, flow], attrs)
    elif t == "TensorArraySizeV3":
        w.node(name, t, [handle, flow], {})
    elif t == "TensorArraySplitV3":  # (handle, value, lengths, flow) -> flow
        w.node(name, t, [handle, *ins, flow], {"T": op.inputs[1].dtype})
        w.tensor_arrays[op.outputs[0]] = (handle, name)
    elif t == "TensorArrayConcatV3":  # (handle, flow) -> value, lengths
        shape = a.get("element_shape")
        known = None if shape is None else shape.known
        w.node(
            name,
            t,
            [handle, flow],
            {
                "dtype": a["dtype"],
                "element_shape_except0": convert_shape(None if known is None else known[1:]),
            },
        )
    else:
        raise errors.UnimplementedError(
            None, None, f"{where}: has no TensorFlow GraphDef form yet."
        )


def convert_shape(shape: Any) -> Any:
    from flowzero.framework.shapes import TensorShape

    return TensorShape(shape)


def _emit_while(w: Any, op: Any) -> None:
    a = op.opdef.attrs
    n, nc, nb = a["n"], a["nc"], a["nb"]
    cb, bb = a["cond"], a["body"]
    where = f"While '{op.name}'"
    for body in (cb, bb):
        for inner in body.ops:
            if inner.type in ("WhileGrad", "IfSaved"):  # (a gradient taken inside the body)
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: holds {inner.type} '{inner.name}'; this nesting of control "
                    "flow has no TensorFlow GraphDef form here yet.",
                )
    base = f"{op.name}/tf1"
    frame = f"{op.name}/while_context"
    par = int(a.get("parallel_iterations") or 10)
    inits = list(op.inputs[:n])
    has_max = bool(a.get("has_max"))
    flows = [_is_ta(x) for x in inits]

    def enter(src: str, dtype: Any, constant: bool, suffix: str) -> str:
        name = w.unique(f"{base}/{suffix}")
        w.node(
            name,
            "Enter",
            [src],
            {"T": dtype, "frame_name": frame, "is_constant": constant, "parallel_iterations": par},
        )
        return name

    float_t = dtypes.float32
    resource = _type(types_pb2.DT_RESOURCE)
    # Loop variables (+ an iteration counter when the loop has maximum_iterations).
    var_inits: list[tuple[str, Any]] = []
    handles: list[str | None] = []
    for x in inits:
        if _is_ta(x):
            h, f = _pair(w, x, where)
            var_inits.append((f, float_t))
            handles.append(enter(h, resource, True, "EnterHandle"))
        else:
            var_inits.append((w.ref(x), x.dtype))
            handles.append(None)
    if has_max:
        zero = w.unique(f"{base}/iteration_zero")
        in_outer = [f"^{w.pivot}"] if w.pivot else []  # (in the outer loop's frame or branch)
        w.node(zero, "Const", in_outer, {"dtype": dtypes.int32, "value": np.array(0, np.int32)})
        var_inits.append((zero, dtypes.int32))
    enters = [enter(src, dt, False, "Enter") for src, dt in var_inits]
    nexts = [w.unique(f"{base}/NextIteration") for _ in var_inits]
    merges = []
    for e, nx, (_, dt) in zip(enters, nexts, var_inits):
        m = w.unique(f"{base}/Merge")
        w.node(m, "Merge", [e, nx], {"T": dt, "N": 2})
        merges.append(m)

    def bind(body: Any, caps: list[Any], args_to: list[str], kind: str) -> list[str]:
        """Binds the body's args; returns the Enter of each capture (a TensorArray's flow)."""
        cap_enters = []
        for i in range(n):
            arg = body.args[i]
            if flows[i]:
                w.tensor_arrays[arg] = (handles[i], args_to[i])
            else:
                w.remap[f"{arg.op.name}"] = args_to[i]
        for j, c in enumerate(caps):
            arg = body.args[n + j]
            if _is_ta(c):
                h, f = _pair(w, c, where)
                w.tensor_arrays[arg] = (
                    enter(h, resource, True, f"{kind}Handle"),
                    enter(f, float_t, True, f"{kind}Flow"),
                )
                cap_enters.append(w.tensor_arrays[arg][1])
            else:
                w.remap[f"{arg.op.name}"] = enter(w.ref(c), c.dtype, True, f"{kind}Capture")
                cap_enters.append(w.remap[f"{arg.op.name}"])
        return cap_enters

    def emit_body(body: Any, pivot: str, kind: str) -> None:
        for inner in body.ops:
            if inner.type == "_Arg":
                continue
            for t in inner.inputs:  # an outer tensor read directly comes in through an Enter
                r = op_mapping_ref(t)
                if t.op._body is not body and r not in w.remap and t not in w.tensor_arrays:
                    if _is_ta(t):
                        h, f = _pair(w, t, where)
                        w.tensor_arrays[t] = (
                            enter(h, resource, True, f"{kind}Handle"),
                            enter(f, float_t, True, f"{kind}Flow"),
                        )
                    else:
                        w.remap[r] = enter(r, t.dtype, True, f"{kind}Outer")
            w.emit(inner, pivot)

    # The condition.
    bind(cb, list(op.inputs[n : n + nc]), merges, "Cond")
    outer_remap, outer_arrays = dict(w.remap), dict(w.tensor_arrays)
    emit_body(cb, merges[0], "Cond")
    pred = w.ref(cb.outputs[0])
    if has_max:
        limit = enter(w.ref(op.inputs[-1]), op.inputs[-1].dtype, True, "MaxIterations")
        less = w.unique(f"{base}/iteration_less")
        w.node(less, "Less", [merges[-1], limit], {"T": dtypes.int32})
        both = w.unique(f"{base}/LogicalAnd")
        w.node(both, "LogicalAnd", [less, pred], {})
        pred = both
    loop_cond = w.unique(f"{base}/LoopCond")
    w.node(loop_cond, "LoopCond", [pred], {})
    switches, identities = [], []
    for m, (_, dt) in zip(merges, var_inits):
        s = w.unique(f"{base}/Switch")
        w.node(s, "Switch", [m, loop_cond], {"T": dt})
        ident = w.unique(f"{base}/Identity")
        w.node(ident, "Identity", [f"{s}:1"], {"T": dt})
        switches.append(s)
        identities.append(ident)
    # The body.
    # Outer tensors entered for the condition are not the body's: enter them again.
    w.remap, w.tensor_arrays = dict(outer_remap), dict(outer_arrays)
    body_enters = bind(bb, list(op.inputs[n + nc : n + nc + nb]), identities, "Body")
    emit_body(bb, identities[0], "Body")
    results = []
    for i, out in enumerate(bb.outputs[:n]):
        results.append(_pair(w, out, where)[1] if flows[i] else w.ref(out))
    if has_max:
        one = w.unique(f"{base}/iteration_one")
        w.node(
            one,
            "Const",
            [f"^{identities[-1]}"],
            {"dtype": dtypes.int32, "value": np.array(1, np.int32)},
        )
        add = w.unique(f"{base}/iteration_add")
        w.node(add, "AddV2", [identities[-1], one], {"T": dtypes.int32})
        results.append(add)
    for nx, r, (_, dt) in zip(nexts, results, var_inits):
        w.node(nx, "NextIteration", [r], {"T": dt})
    if op.outputs[-1].consumers():  # a gradient reads the record: count and push (TF's form)
        from flowzero.interop import tf1_loop_grads

        tf1_loop_grads.add_forward_record(w, op, frame, par, loop_cond, identities[0])
    w.remap, w.tensor_arrays = outer_remap, outer_arrays  # names inside the frame stay inside
    exits = []
    for i in range(n):
        ex = w.unique(f"{base}/Exit")
        w.node(ex, "Exit", [switches[i]], {"T": var_inits[i][1]})
        exits.append(ex)
    if op.outputs[-1].consumers():  # (its gradient names its nodes after these, as TF does)
        from flowzero.interop import tf1_loop_grads

        tf1_loop_grads.note_forward_names(w, op, enters[:n], body_enters, exits)
    # One node under the While op's own name gathers the Exits, so `while:k` still names
    # loop variable k.
    w.node(op.name, "IdentityN", exits, {"T": [dt for _, dt in var_inits[:n]]})
    for i in range(n):
        if flows[i]:
            out = f"{op.name}:{i}" if i else op.name
            w.tensor_arrays[op.outputs[i]] = (_pair(w, inits[i], where)[0], out)


def op_mapping_ref(t: Any) -> str:
    return t.op.name if t.value_index == 0 else f"{t.op.name}:{t.value_index}"
