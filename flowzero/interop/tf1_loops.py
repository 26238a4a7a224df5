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

Nested loops are not imported (UnimplementedError naming the frame).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import Tensor

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

    Raises:
        tf.errors.UnimplementedError: nested loops.
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
    owner: dict[str, str] = {}
    for f in frames.values():
        stack = list(f.enters)
        while stack:
            name = stack.pop()
            if name in f.members:
                continue
            if name in owner and owner[name] != f.name:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: node '{name}' belongs to while loops '{owner[name]}' "
                    f"and '{f.name}'; nested TF1 while loops are not imported.",
                )
            f.members.add(name)
            owner[name] = f.name
            if by_name[name].op in ("Exit", "RefExit"):
                continue
            stack.extend(consumers.get(name, []))
        for name in f.members:
            n = by_name[name]
            if n.op in ("Enter", "RefEnter") and _attr_text(n, "frame_name") != f.name:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: while loop '{f.name}' holds another loop ('{name}' "
                    "enters it); nested TF1 while loops are not imported.",
                )
        _loop_vars(f, by_name, parsed, consumers, where)
    return list(frames.values())


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
        if enter is None or nxt is None or len(srcs) != 2:
            raise errors.InvalidArgumentError(
                None,
                None,
                f"{where}: Merge '{m}' of while loop '{f.name}' must merge an Enter "
                "and a NextIteration.",
            )
        switch = next((c for c in consumers[m] if by_name[c].op in ("Switch", "RefSwitch")), None)
        exit_ = None
        if switch is not None:
            exit_ = next(
                (c for c in consumers[switch] if by_name[c].op in ("Exit", "RefExit")), None
            )
        f.loop_vars.append(
            {"enter": enter, "merge": m, "switch": switch, "exit": exit_, "next": nxt}
        )


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
    """Builds the loop with flowzero's while_loop. Returns {Exit node name: tensor}."""
    from flowzero.framework.shapes import TensorShape
    from flowzero.ops.control_flow_ops import while_loop

    index_of_merge = {v["merge"]: i for i, v in enumerate(f.loop_vars)}
    index_of_switch = {v["switch"]: i for i, v in enumerate(f.loop_vars) if v["switch"]}

    def run(
        targets: list[tuple[str, int]], loop_vars: tuple[Tensor, ...], stop_at: str
    ) -> list[Tensor]:
        env: dict[str, list[Tensor]] = {}

        def value(src: str, k: int) -> Tensor:
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
                ctrl_src = [s for c, s, kk in parsed[src] if not c]
                return value(ctrl_src[0], [kk for c, s, kk in parsed[src] if not c][0])
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
            if n.op in STRUCTURE_TYPES:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: while loop '{f.name}': {n.op} '{src}' in an "
                    "unexpected place (a tf.cond inside a TF1 loop is not imported).",
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
        return run([data_input(v["next"]) for v in f.loop_vars], vs, "Switch")

    inits = [outer(*data_input(v["enter"])) for v in f.loop_vars]
    invariants = [TensorShape(None) for _ in inits]
    result = while_loop(cond_fn, body_fn, inits, shape_invariants=invariants, name="while")
    if not isinstance(result, (list, tuple)):
        result = [result]
    return {v["exit"]: t for v, t in zip(f.loop_vars, result) if v["exit"]}
