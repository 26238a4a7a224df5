"""TF1's dataflow while loops (`tf.while_loop`, `dynamic_rnn` in TensorFlow 1.x graphs) imported
as flowzero's `tf.while_loop`.

TensorFlow 1.x writes a loop as nodes of one *frame*: `Enter` brings each loop variable (and
each loop-invariant tensor, `is_constant=True`) into the frame, `Merge(Enter, NextIteration)`
is the variable at the top of an iteration, the condition ends in `LoopCond`,
`Switch(Merge, LoopCond)` sends the variable to the body (output 1) or to `Exit` (output 0), and
`NextIteration` carries the body's result back to the `Merge`. The importer finds each frame,
treats it as one unit in the outer graph's order, and builds it with flowzero's while_loop: the
condition is the frame's nodes between the `Merge`s and the `LoopCond`, the body those between
the `Switch`es and the `NextIteration`s; invariants are read from outside (captured).

The gradient of such a loop (`tf.gradients` / `minimize` through `tf.while_loop` or
`dynamic_rnn`) is a second frame that TF builds from the first: the forward frame gets a counter
(`f_count`) and pushes each value the gradient needs onto a stack (`StackV2` / `StackPushV2`),
and the backward frame counts down from the counter's Exit (`b_count`), pops those values, takes
the gradients of the forward frame's Exits in (`<Exit>_grad/b_exit`) and gives out the gradients
of its Enters (`<Enter>_grad/Exit` for a loop variable, an accumulator `<Enter>_grad/b_acc_3`
for a loop invariant). The importer does not rebuild that machinery: it recognises the backward
frame (its `b_count` Enter reads the forward counter's Exit), maps each of its Exits to the
forward Enter it is the gradient of and each of its `b_exit`s to the forward Exit, and builds
the same gradients with flowzero's own: `tf.gradients` of the imported forward loop, each Enter
read through an Identity of its own so that its gradient is that Enter's alone. The counter and
the stacks are left out; each backward Exit becomes an Identity of its gradient under TF's name.

A `tf.cond` inside the loop (Switch / Merge of its own predicate in the frame) is found with
tf1_conds.py among the frame's nodes and built with flowzero's cond inside the body.

A loop inside a loop (the inner frame's Enters read the outer frame's nodes) is a child of the
outer frame, built inside the outer body when the body reads the inner loop's Exits. The
gradient of a gathered loop invariant, which TF accumulates as IndexedSlices (indices, values,
dense_shape), is given as the rows with a gradient (see `_as_slices`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import Tensor
from flowzero.interop import convert
from flowzero.interop.tf1_conds import grad_target

# Node types that make the loop structure (not built as ops).
STRUCTURE_TYPES = frozenset(
    {
        "Enter",
        "RefEnter",
        "Exit",
        "RefExit",
        "Merge",
        "RefMerge",
        "Switch",
        "RefSwitch",
        "NextIteration",
        "RefNextIteration",
        "LoopCond",
    }
)


class Frame:
    """One TF1 loop: its member nodes and, per loop variable, (Enter, Merge, Switch, Exit,
    NextIteration) names."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.key = f"<while frame {name}>"
        self.members: set[str] = set()
        self.enters: list[str] = []
        self.loop_vars: list[dict[str, str | None]] = []
        self.loop_cond: str | None = None
        # A forward frame whose gradients TF built: its counters (Merge names, left out), and
        # per Enter the tensor the loop reads (set when built; the gradients' xs).
        self.counters: set[str] = set()
        self.grad_frames: list[Frame] = []
        self.enter_values: dict[str, Tensor] = {}
        # A backward (gradient) frame: the forward frame, its Exits -> forward Enter names,
        # its b_exit Enters -> forward Exit names.
        self.grad_of: Frame | None = None
        self.exit_targets: dict[str, str] = {}
        self.upstream: dict[str, str] = {}
        # Enters whose gradient is IndexedSlices: [indices, values(, dense_shape)] Exits.
        self.sliced: dict[str, list[str]] = {}
        self.slice_dtypes: dict[str, Any] = {}
        # tf.conds inside the loop (TF1 Switch / Merge in the frame): Merge names, the conds.
        self.cond_merges: set[str] = set()
        self.conds: list[Any] = []
        self.cond_of: dict[str, Any] = {}
        # Loops inside this one (built inside its body), and the loop this one is inside.
        self.children: list[Frame] = []
        self.exit_nodes: set[str] = set()
        self.parent: Frame | None = None

    def exits(self) -> list[str]:
        return sorted(m for m in self.members if m in self.exit_nodes)

    def all_members(self) -> set[str]:
        """Its nodes and those of the loops inside it."""
        out = set(self.members)
        for c in self.children:
            out |= c.all_members()
        return out

    def in_gradient(self) -> bool:
        """Whether it is (inside) a backward frame, which the importer does not build."""
        f: Frame | None = self
        while f is not None:
            if f.grad_of is not None:
                return True
            f = f.parent
        return False


def _attr_text(node: Any, key: str) -> str:
    v = node.attr[key].s if key in node.attr else b""
    return v.decode("utf-8", "replace")


def find_frames(
    nodes: list[Any],
    by_name: dict[str, Any],
    parsed: dict[str, list[tuple[bool, str, int]]],
    where: str,
) -> list[Frame]:
    """The loops of a GraphDef, each with its member nodes.

    Returns:
        The outermost loops (each with the loops inside it as `children`).

    Raises:
        tf.errors.UnimplementedError: loops that share nodes.
        tf.errors.InvalidArgumentError: a malformed loop (names the frame and node).
    """
    consumers: dict[str, list[str]] = {n.name: [] for n in nodes}
    for n in nodes:
        for _, src, _ in parsed[n.name]:
            if src in consumers:
                consumers[src].append(n.name)
    frames: dict[str, Frame] = {}
    for n in nodes:
        if n.op in ("Enter", "RefEnter"):
            fname = _attr_text(n, "frame_name")
            frames.setdefault(fname, Frame(fname)).enters.append(n.name)
    done: set[str] = set()
    active: set[str] = set()  # being collected (a loop reached again from inside it: a cycle)

    def collect(f: Frame) -> None:
        """f's own nodes, from its Enters to its Exits; a loop inside it (an Enter of another
        frame) is a child, collected first, and the walk goes on from the child's Exits."""
        if f.name in done:
            return
        done.add(f.name)
        active.add(f.name)
        stack = list(f.enters)
        while stack:
            name = stack.pop()
            n = by_name[name]
            if n.op in ("Enter", "RefEnter") and _attr_text(n, "frame_name") != f.name:
                child = frames[_attr_text(n, "frame_name")]
                if child not in f.children:
                    up: Frame | None = f
                    while up is not None and up is not child:
                        up = up.parent
                    if up is child or child.parent not in (None, f) or child.name in active:
                        raise errors.UnimplementedError(
                            None,
                            None,
                            f"{where}: while loops '{f.name}' and '{child.name}' enter each "
                            "other or share nodes; not imported.",
                        )
                    collect(child)
                    child.parent = f
                    f.children.append(child)
                    stack.extend(
                        c for x in child.exits() for c in consumers.get(x, []) if c not in f.members
                    )
                continue
            if name in f.members:
                continue
            f.members.add(name)
            if n.op in ("Exit", "RefExit"):
                f.exit_nodes.add(name)
                continue
            stack.extend(consumers.get(name, []))
        active.discard(f.name)
        _loop_vars(f, by_name, parsed, consumers, where)

    for f in list(frames.values()):
        collect(f)
    top = [f for f in frames.values() if f.parent is None]
    owner: dict[str, str] = {}
    for f in frames.values():
        for name in f.members:
            if owner.setdefault(name, f.name) != f.name:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: node '{name}' belongs to while loops '{owner[name]}' and "
                    f"'{f.name}'; not imported.",
                )
    _link_gradient_frames(top, by_name, parsed, where)
    for f in frames.values():
        if f.cond_merges and not f.in_gradient():  # (a backward frame is not built)
            _find_conds(f, by_name, parsed, where)
    return top


# Names TF's while-loop gradient gives its nodes (control_flow_ops.py / control_flow_state.py).
_B_COUNT = re.compile(r"(^|/)b_count(_\d+)?$")
# Nodes of TF's loop-gradient machinery left out of the import: the stacks (made outside both
# frames, pushed in the forward one, popped in the backward one).
STACK_TYPES = frozenset({"StackV2", "StackPushV2", "StackPopV2"})


def _data_inputs(parsed: dict[str, Any], name: str) -> list[tuple[str, int]]:
    return [(src, k) for ctrl, src, k in parsed[name] if not ctrl]


def _link_gradient_frames(
    frames: list[Frame], by_name: dict[str, Any], parsed: dict[str, Any], where: str
) -> None:
    """Finds the backward frames TF built for `tf.gradients` through a forward frame and maps
    their Exits and b_exits onto the forward frame's Enters and Exits.

    Raises:
        tf.errors.UnimplementedError: a backward frame this cannot map (names the node).
    """
    frame_of_exit = {
        m: f for f in frames for m in f.members if by_name[m].op in ("Exit", "RefExit")
    }
    for b in frames:
        counter = next(
            (
                e
                for e in b.enters
                if _B_COUNT.search(e)
                and by_name[e].op == "Enter"
                and len(_data_inputs(parsed, e)) == 1
                and _data_inputs(parsed, e)[0][0] in frame_of_exit
            ),
            None,
        )
        if counter is None:
            continue
        f_exit = _data_inputs(parsed, counter)[0][0]
        fwd = frame_of_exit[f_exit]
        b.grad_of = fwd
        fwd.grad_frames.append(b)
        for v in fwd.loop_vars:
            if v["exit"] == f_exit:
                fwd.counters.add(str(v["merge"]))
        fwd_enters = {m for m in fwd.members if by_name[m].op in ("Enter", "RefEnter")}
        fwd_exits = {m for m in fwd.members if by_name[m].op in ("Exit", "RefExit")}
        counter_exits = {v["exit"] for v in b.loop_vars if v["enter"] == counter}
        for m in sorted(b.members):
            op = by_name[m].op
            if op in ("Exit", "RefExit") and m not in counter_exits:
                t = grad_target(m, fwd_enters)
                if t is None:
                    raise errors.UnimplementedError(
                        None,
                        None,
                        f"{where}: the gradient loop '{b.name}' of while loop "
                        f"'{fwd.name}': cannot tell which Enter its Exit '{m}' is the "
                        "gradient of.",
                    )
                b.exit_targets[m] = t
            elif m.endswith("/b_exit") or re.search(r"/b_exit(_\d+)?$", m):
                t = grad_target(m, fwd_exits)
                if t is None or op not in ("Enter", "RefEnter"):
                    raise errors.UnimplementedError(
                        None,
                        None,
                        f"{where}: the gradient loop '{b.name}' of while loop "
                        f"'{fwd.name}': cannot tell which Exit '{m}' takes the gradient of.",
                    )
                b.upstream[m] = t
        _group_slices(b, fwd, by_name, where)


def _group_slices(b: Frame, fwd: Frame, by_name: dict[str, Any], where: str) -> None:
    """Enters whose gradient comes out in parts: TF accumulates the gradient of a gathered
    loop invariant (an embedding read inside the loop) as IndexedSlices, three accumulators
    `b_acc_<n>` made in the order indices, values, dense_shape."""
    parts: dict[str, list[str]] = {}
    for e, t in b.exit_targets.items():
        parts.setdefault(t, []).append(e)
    for t, exits in parts.items():
        if len(exits) == 1:
            continue
        exits.sort(key=lambda e: int(m.group(1)) if (m := re.search(r"_(\d+)$", e)) else 0)
        kinds = [convert.dtype_from_enum(by_name[e].attr["T"].type, where) for e in exits]
        if len(exits) not in (2, 3) or not kinds[1].is_floating or not kinds[0].is_integer:
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: the gradient loop '{b.name}' of while loop '{fwd.name}' gives "
                f"the gradient of Enter '{t}' in {len(exits)} parts ({', '.join(exits)}), "
                "not as TF's IndexedSlices accumulators; not imported.",
            )
        b.sliced[t] = exits
        b.slice_dtypes.update(zip(exits, kinds))


def _loop_vars(
    f: Frame,
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    consumers: dict[str, list[str]],
    where: str,
) -> None:
    conds = [m for m in f.members if by_name[m].op == "LoopCond"]
    if len(conds) != 1:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{where}: while loop '{f.name}' has {len(conds)} LoopCond nodes; expected 1.",
        )
    f.loop_cond = conds[0]
    for m in sorted(x for x in f.members if by_name[x].op in ("Merge", "RefMerge")):
        srcs = [src for ctrl, src, _ in parsed[m] if not ctrl]
        enter = next((s for s in srcs if by_name[s].op in ("Enter", "RefEnter")), None)
        nxt = next(
            (s for s in srcs if by_name[s].op in ("NextIteration", "RefNextIteration")), None
        )
        if enter is None and nxt is None:
            f.cond_merges.add(m)  # a tf.cond's result inside the loop
            continue
        if enter is None or nxt is None or len(srcs) != 2:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: Merge '{m}' of while loop '{f.name}' must merge an Enter "
                "and a NextIteration.",
            )
        switch = next(
            (
                c
                for c in consumers[m]
                if by_name[c].op in ("Switch", "RefSwitch")
                and [s for s, _ in _data_inputs(parsed, c)][1:] == [f.loop_cond]
            ),
            None,
        )
        exit_ = None
        if switch is not None:
            exit_ = next(
                (c for c in consumers[switch] if by_name[c].op in ("Exit", "RefExit")), None
            )
        f.loop_vars.append(
            {"enter": enter, "merge": m, "switch": switch, "exit": exit_, "next": nxt}
        )


def _find_conds(f: Frame, by_name: dict[str, Any], parsed: dict[str, Any], where: str) -> None:
    """The tf.conds inside a (forward) loop's body or condition."""
    from flowzero.interop import tf1_conds

    loop_nodes = {f.loop_cond} | {str(x) for v in f.loop_vars for x in v.values() if x}
    inside = [
        by_name[m]
        for m in sorted(f.members)
        if m not in loop_nodes and by_name[m].op not in ("Enter", "RefEnter", "Exit", "RefExit")
    ]
    f.conds = tf1_conds.find_conds(
        inside, by_name, parsed, set(), f"{where}: while loop '{f.name}'"
    )
    f.cond_of = {m: c for c in f.conds for m in c.members}


def frame_inputs(
    f: Frame, by_name: dict[str, Any], parsed: dict[str, Any]
) -> list[tuple[str, int]]:
    """The outer tensors (node, output) the loop reads."""
    out = []
    for name in f.members:
        for ctrl, src, k in parsed[name]:
            if not ctrl and src not in f.members:
                out.append((src, k))
    return out


def build_frame(
    f: Frame,
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    outer: Callable[[str, int], Tensor],
    build_op: Callable[[Any, list[Tensor]], list[Tensor]],
    where: str,
) -> dict[str, Tensor]:
    """Builds the loop with flowzero's while_loop. Returns {Exit node name: tensor}.

    A loop whose gradients TF built (`f.grad_frames`) is built without its counters, each
    Enter read through an Identity of its own (`f.enter_values`, the gradients' xs)."""
    from flowzero.framework.shapes import TensorShape
    from flowzero.ops.control_flow_ops import while_loop
    from flowzero.ops.control_ops import identity

    loop_vars = [v for v in f.loop_vars if v["merge"] not in f.counters]
    child_of_exit = {x: c for c in f.children for x in c.exits()}
    index_of_merge = {v["merge"]: i for i, v in enumerate(loop_vars)}
    index_of_switch = {v["switch"]: i for i, v in enumerate(loop_vars) if v["switch"]}
    if f.grad_frames:
        for name in sorted(f.members):
            n = by_name[name]
            if n.op in ("Enter", "RefEnter") and not is_stack_side(name, by_name, parsed):
                (src, k) = _data_inputs(parsed, name)[0]
                f.enter_values[name] = identity(outer(src, k), name=name.rsplit("/", 1)[-1])

    def run(
        targets: list[tuple[str, int]], loop_vars: tuple[Tensor, ...], stop_at: str
    ) -> list[Tensor]:
        env: dict[str, list[Tensor]] = {}
        loops: dict[str, dict[str, Tensor]] = {}  # Exit name -> result, per inner loop

        def value(src: str, k: int) -> Tensor:
            child = child_of_exit.get(src)
            if child is not None:  # a loop inside this one: built here, in the body
                if child.key not in loops:
                    for s, kk in outside_reads(child.all_members(), by_name, parsed):
                        value(s, kk)  # (what it reads: built here, not in its body)
                    loops[child.key] = build_frame(child, by_name, parsed, value, build_op, where)
                return loops[child.key][src]
            if src not in f.members:
                return outer(src, k)
            n = by_name[src]
            if n.op in ("Enter", "RefEnter"):
                if not (n.attr["is_constant"].b if "is_constant" in n.attr else False):
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{where}: node reads loop variable Enter '{src}' of while "
                        f"loop '{f.name}' directly.",
                    )
                if src in f.enter_values:
                    return f.enter_values[src]
                return outer(*_data_inputs(parsed, src)[0])
            if src in index_of_merge:
                return loop_vars[index_of_merge[src]]
            if src in index_of_switch:
                if k != 1:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{where}: the loop's body reads output {k} of Switch "
                        f"'{src}' (only the Exit may).",
                    )
                return loop_vars[index_of_switch[src]]
            cond = f.cond_of.get(src)
            if cond is not None:
                if src not in cond.merges:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"{where}: a node reads '{src}' inside a branch of the tf.cond on "
                        f"'{cond.pred[0]}' from outside the cond.",
                    )
                if cond.key not in env:
                    from flowzero.interop import tf1_conds

                    for s, kk in outside_reads(cond.members, by_name, parsed):
                        value(s, kk)  # (what it reads: built here, not in a branch)

                    results = tf1_conds.build_cond(
                        cond, by_name, parsed, value, build_op, False, where
                    )
                    env[cond.key] = [results[m] for m in cond.merges]
                if k != 0:
                    raise errors.UnimplementedError(
                        None, None, f"{where}: a Merge's value_index output is used ('{src}')."
                    )
                return env[cond.key][cond.merges.index(src)]
            if n.op in STRUCTURE_TYPES:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: while loop '{f.name}': {n.op} '{src}' in an unexpected place.",
                )
            if src not in env:
                ins = [value(s, kk) for c, s, kk in parsed[src] if not c]
                env[src] = build_op(n, ins)
            outs = env[src]
            if k >= len(outs):
                raise errors.InvalidArgumentError(
                    None, None, f"{where}: input '{src}:{k}' does not exist."
                )
            return outs[k]

        del stop_at
        return [value(s, k) for s, k in targets]

    def data_input(name: str) -> tuple[str, int]:
        s = [(src, k) for ctrl, src, k in parsed[name] if not ctrl]
        return s[0]

    assert f.loop_cond is not None
    pred_src = data_input(f.loop_cond)

    def cond_fn(*vs: Tensor) -> Tensor:
        return run([pred_src], vs, "Merge")[0]

    def body_fn(*vs: Tensor) -> list[Tensor]:
        return run([data_input(v["next"]) for v in loop_vars], vs, "Switch")

    inits = [
        f.enter_values[str(v["enter"])]
        if v["enter"] in f.enter_values
        else outer(*data_input(v["enter"]))
        for v in loop_vars
    ]
    invariants = [_merge_shape(by_name[str(v["merge"])], x) for v, x in zip(loop_vars, inits)]
    try:
        result = while_loop(cond_fn, body_fn, inits, shape_invariants=invariants, name="while")
    except ValueError as e:
        if "shape" not in str(e) or all(s.known is None for s in invariants):
            raise
        # flowzero's shapes of the body's results are less specific than TF's: let them vary.
        invariants = [TensorShape(None) for _ in inits]
        result = while_loop(cond_fn, body_fn, inits, shape_invariants=invariants, name="while")
    if not isinstance(result, (list, tuple)):
        result = [result]
    return {v["exit"]: t for v, t in zip(loop_vars, result) if v["exit"]}


def outside_reads(
    inside: set[str], by_name: dict[str, Any], parsed: dict[str, Any]
) -> list[tuple[str, int]]:
    """What the nodes `inside` (a loop, a cond) read from outside them, in order; stack
    machinery left out (its handles say nothing of where a construct runs)."""
    return sorted(
        {
            (s, k)
            for m in inside
            if not is_stack_side(m, by_name, parsed)
            for s, k in _data_inputs(parsed, m)
            if s not in inside
        }
    )


def is_stack_side(name: str, by_name: dict[str, Any], parsed: dict[str, Any]) -> bool:
    """Whether a node is TF's loop-gradient stack machinery (a push, a pop, or an Enter, a
    Switch or an Identity that takes a stack's handle into a frame or a cond's branch): never
    built."""
    while True:
        op = by_name[name].op
        if op in STACK_TYPES:
            return True
        if op not in ("Enter", "RefEnter", "Switch", "RefSwitch", "Identity"):
            return False
        name = _data_inputs(parsed, name)[0][0]


def _merge_shape(merge: Any, init: Tensor) -> Any:
    """A loop variable's shape across iterations: the `_output_shapes` TF wrote for its Merge
    (TF's `add_shapes`, as `export_meta_graph` writes), no more specific than the initial
    value's; the initial value's where TF wrote none."""
    from flowzero.framework.shapes import TensorShape

    if "_output_shapes" not in merge.attr or not merge.attr["_output_shapes"].list.shape:
        return init.shape  # (TF's default shape invariant; relaxed if the body changes it)
    proto = merge.attr["_output_shapes"].list.shape[0]
    if proto.unknown_rank or init.shape.known is None or len(proto.dim) != len(init.shape.known):
        return TensorShape(None)
    dims = [
        d.size if d.size >= 0 and known is not None else None
        for d, known in zip(proto.dim, init.shape.known)
    ]
    return TensorShape(dims)


def build_gradient_frame(
    b: Frame, parsed: dict[str, Any], outer: Callable[[str, int], Tensor], scope: str
) -> dict[str, Tensor]:
    """The gradients a backward frame gives, built with flowzero's tf.gradients through the
    imported forward loop. Returns {Exit node name: gradient}."""
    from flowzero.interop.tf1_conds import gradients_or_zeros
    from flowzero.ops import tensor_array_ops

    fwd = b.grad_of
    assert fwd is not None
    ys = [outer(fx, 0) for fx in b.upstream.values()]
    grad_ys = [outer(*_data_inputs(parsed, be)[0]) for be in b.upstream]
    for i, (y, gy) in enumerate(zip(ys, grad_ys)):
        if y.dtype.name == "variant" and gy.dtype.name != "variant":
            # TF's gradient of an unused TensorArray's flow: a float zero (no gradient).
            grad_ys[i] = tensor_array_ops.zero_grad()
    targets = sorted(set(b.exit_targets.values()))
    xs = [fwd.enter_values[t] for t in targets]
    out: dict[str, Tensor] = {}
    for t, g in zip(targets, gradients_or_zeros(ys, xs, grad_ys, scope)):
        if t in b.sliced:
            out.update(_as_slices(b.sliced[t], g, b))
        else:
            (e,) = [e for e, tt in b.exit_targets.items() if tt == t]
            out[e] = g
    return out


def _as_slices(exits: list[str], grad: Any, b: Frame) -> dict[str, Tensor]:
    """A dense gradient as the IndexedSlices TF's accumulators give: the rows with a nonzero
    gradient, and row 0 (TF's accumulators start with a zero row 0), in order. TF's own
    indices are the rows gathered (with repeats); its optimizers sum repeats, and a row
    gathered whose gradient is exactly zero is left out here (it changes nothing but a
    sparse Momentum's or RMSProp's decay of that row)."""
    from flowzero.framework.graph import convert_to_tensor
    from flowzero.ops import (
        array_ops,
        cast_ops,
        indexing_ops,
        logic_ops,
        range_ops,
        reduction_ops,
        reshape_ops,
    )

    dense = convert_to_tensor(grad)  # (an IndexedSlices gradient: its dense form)
    rows = array_ops.shape(dense)[0]
    flat = reshape_ops.reshape(dense, array_ops.stack([rows, -1]))
    hit = reduction_ops.reduce_any(logic_ops.not_equal(flat, 0), axis=1)
    hit = logic_ops.logical_or(hit, logic_ops.equal(range_ops.range(rows), 0))
    indices = reshape_ops.reshape(indexing_ops.where(hit), [-1])
    out = {exits[1]: indexing_ops.gather(dense, indices)}
    out[exits[0]] = cast_ops.cast(indices, b.slice_dtypes[exits[0]])
    if len(exits) == 3:
        out[exits[2]] = cast_ops.cast(array_ops.shape(dense), b.slice_dtypes[exits[2]])
    return out
