"""TF1's dataflow conditionals (`tf.cond` in TensorFlow 1.x graphs, e.g. batch norm or dropout
switched by an `is_training` placeholder) imported as flowzero's `tf.cond`.

TensorFlow 1.x writes `tf.cond(pred, f_true, f_false)` as dataflow: each tensor a branch reads
from outside goes through `Switch(x, pred)`, whose output 1 is alive only when `pred` is true
(output 0 when false); each branch's constants hang on a pivot (`Identity` of
`Switch(pred, pred)`); each result is `Merge(false_value, true_value)`. The importer groups the
`Merge`s whose branches start at `Switch`es of one predicate, treats them as one unit of the
outer graph's order, and builds flowzero's `cond` with a branch function per side that builds
that side's nodes.

Not imported (UnimplementedError naming the node): a cond inside another cond or inside a
TF1 while loop, and a Merge whose `value_index` output is used.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import Tensor

_SWITCH = ("Switch", "RefSwitch")
_MERGE = ("Merge", "RefMerge")


class Cond:
    """One TF1 conditional: its predicate, Merges (results) and member nodes per branch."""

    def __init__(self, pred: tuple[str, int], scope: str) -> None:
        self.pred = pred
        self.scope = scope
        self.key = f"<cond {scope} on {pred[0]}:{pred[1]}>"
        self.merges: list[str] = []
        self.switches: set[str] = set()
        self.branch: dict[str, int] = {}  # member node -> 0 (false) / 1 (true)
        self.members: set[str] = set()


def _data(parsed: dict[str, Any], name: str) -> list[tuple[str, int]]:
    return [(src, k) for ctrl, src, k in parsed[name] if not ctrl]


def _pred_of(switch: str, by_name: dict[str, Any], parsed: dict[str, Any]) -> tuple[str, int]:
    src, k = _data(parsed, switch)[1]
    while by_name[src].op == "Identity" and _data(parsed, src):  # pred_id = Identity(pred)
        src, k = _data(parsed, src)[0]
    return src, k


def find_conds(
    nodes: list[Any],
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    in_loops: set[str],
    where: str,
) -> list[Cond]:
    """The TF1 conditionals outside loops, each with its member nodes."""
    consumers: dict[str, list[str]] = {n.name: [] for n in nodes}
    for n in nodes:
        for _, src, _ in parsed[n.name]:
            if src in consumers:
                consumers[src].append(n.name)
    conds: dict[tuple[tuple[str, int], str], Cond] = {}
    for n in nodes:
        if n.op not in _MERGE or n.name in in_loops:
            continue
        found: list[tuple[str, int]] = []  # (switch, output) each input comes from
        for src, k in _data(parsed, n.name):
            hit = _switch_above(src, k, by_name, parsed, in_loops)
            if hit is None:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: Merge '{n.name}' merges values that come from no "
                    "Switch; only tf.cond's Switch/Merge form is imported.",
                )
            found.append(hit)
        preds = {_pred_of(s, by_name, parsed) for s, _ in found}
        if len(preds) != 1 or sorted(b for _, b in found) != [0, 1]:
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: Merge '{n.name}' is not the result of one tf.cond "
                "(nested conds are not imported).",
            )
        # One predicate may drive several tf.conds: each has its own name scope.
        pred = preds.pop()
        scope = n.name.rpartition("/")[0]
        c = conds.setdefault((pred, scope), Cond(pred, scope))
        c.merges.append(n.name)
    for c in conds.values():
        _members(c, nodes, by_name, parsed, consumers, in_loops, where)
    return list(conds.values())


def _switch_above(
    src: str, k: int, by_name: dict[str, Any], parsed: dict[str, Any], in_loops: set[str]
) -> tuple[str, int] | None:
    """The (Switch, output) a branch value descends from (data or control edges)."""
    seen = set()
    stack = [(src, k)]
    while stack:
        name, out = stack.pop()
        if name in seen or name in in_loops:
            continue
        seen.add(name)
        if by_name[name].op in _SWITCH:
            return name, out
        stack.extend((s, kk) for _, s, kk in parsed[name])
    return None


def _members(
    c: Cond,
    nodes: list[Any],
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    consumers: dict[str, list[str]],
    in_loops: set[str],
    where: str,
) -> None:
    inside = c.scope + "/" if c.scope else ""
    switches = {
        n.name
        for n in nodes
        if n.op in _SWITCH
        and n.name not in in_loops
        and n.name.startswith(inside)
        and _pred_of(n.name, by_name, parsed) == c.pred
    }
    c.switches = switches
    # Upstream of the Merges, down to the Switches: the branch bodies.
    upstream: set[str] = set()
    stack = [s for m in c.merges for s, _ in _data(parsed, m)]
    while stack:
        name = stack.pop()
        if name in upstream or name in switches:
            continue
        upstream.add(name)
        stack.extend(s for _, s, _ in parsed[name])
    for s in switches:
        for out in (0, 1):
            frontier = [
                u for u in consumers[s] if any(src == s and kk == out for _, src, kk in parsed[u])
            ]
            seen: set[str] = set()
            while frontier:
                name = frontier.pop()
                if name in seen or name in c.merges:
                    continue
                seen.add(name)
                prev = c.branch.get(name)
                if prev is not None and prev != out:
                    raise errors.UnimplementedError(
                        None,
                        None,
                        f"{where}: node '{name}' is in both branches of the "
                        f"tf.cond on '{c.pred[0]}'.",
                    )
                c.branch[name] = out
                frontier.extend(consumers[name])
    for name in upstream:
        if name not in c.branch and name not in switches and by_name[name].op in _SWITCH:
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: a tf.cond inside the tf.cond on '{c.pred[0]}' "
                f"('{name}'); nested conds are not imported.",
            )
    c.members = set(c.branch) | switches | set(c.merges)


def build_cond(
    c: Cond,
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    outer: Callable[[str, int], Tensor],
    build_op: Callable[[Any, list[Tensor]], list[Tensor]],
    used_index: bool,
    where: str,
) -> dict[str, Tensor]:
    """Builds the conditional with flowzero's cond. Returns {Merge name: result tensor}."""
    from flowzero.ops.control_flow_ops import cond

    if used_index:
        raise errors.UnimplementedError(
            None, None, f"{where}: a Merge's value_index output is used; not imported."
        )

    def side(out: int) -> Callable[[], list[Tensor]]:
        def fn() -> list[Tensor]:
            env: dict[str, list[Tensor]] = {}

            def value(src: str, k: int) -> Tensor:
                if src in c.switches:  # the outer tensor this Switch lets through
                    s_src, s_k = _data(parsed, src)[0]
                    return outer(s_src, s_k)
                if c.branch.get(src) != out:
                    return outer(src, k)
                if src not in env:
                    ins = [value(s, kk) for s, kk in _data(parsed, src)]
                    env[src] = build_op(by_name[src], ins)
                return env[src][k]

            results = []
            for m in c.merges:
                for s, k in _data(parsed, m):
                    if _branch_of(s, k, c) == out:
                        results.append(value(s, k))
                        break
            return results

        return fn

    pred = outer(*c.pred)
    results = cond(pred, side(1), side(0), strict=True)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    return dict(zip(c.merges, results))


def _branch_of(src: str, k: int, c: Cond) -> int:
    if src in c.switches:
        return k
    return c.branch[src]
