"""TF1's dataflow conditionals (`tf.cond` in TensorFlow 1.x graphs, e.g. batch norm or dropout
switched by an `is_training` placeholder) imported as flowzero's `tf.cond`.

TensorFlow 1.x writes `tf.cond(pred, f_true, f_false)` as dataflow: each tensor a branch reads
from outside goes through `Switch(x, pred)`, whose output 1 is alive only when `pred` is true
(output 0 when false); each branch's constants hang on a pivot (`Identity` of
`Switch(pred, pred)`); each result is `Merge(false_value, true_value)`. The importer groups the
`Merge`s whose branches start at `Switch`es of one predicate, treats them as one unit of the
outer graph's order, and builds flowzero's `cond` with a branch function per side that builds
that side's nodes.

Conds nest (a `tf.cond` inside a branch of another, as `tf.nn.static_rnn` writes with a
`sequence_length`): each node's context, the chain of (cond, branch) it runs under, follows from
its inputs (a Switch output adds a level, a Merge removes one), and an inner cond is built
inside the branch function of the outer one.

A cond inside a TF1 while loop is found among the loop's nodes (tf1_loops.py) and built inside
the loop's body.

Not imported (UnimplementedError naming the node): a Merge whose `value_index` output is used.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flowzero.framework import errors
from flowzero.framework.graph import Tensor

_SWITCH = ("Switch", "RefSwitch")
_MERGE = ("Merge", "RefMerge")
_GRADIENTS = re.compile(r"^(.*/)?gradients(_\d+)?/")
# What TF's loop gradient adds to the forward side, named in the gradient's scope: the
# counter's initial value, the sync trigger, the stacks.
_FORWARD_SIDE = re.compile(r"(^|/)(f_count|f_sync|f_acc)(_\d+)?$")


Frame = tuple[str, int]  # (cond key, branch: 0 false / 1 true)


class Cond:
    """One TF1 conditional: its predicate, Merges (results), Switches, and the conds nested in
    its branches (by the Merge that gives their result)."""

    def __init__(self, pred: tuple[str, int], scope: str) -> None:
        self.pred = pred
        self.scope = scope
        self.key = f"<cond {scope} on {pred[0]}:{pred[1]}>"
        self.merges: list[str] = []
        self.switches: set[str] = set()
        self.sides: dict[str, dict[int, tuple[str, int]]] = {}  # Merge -> branch -> input
        self.outer: tuple[Frame, ...] = ()  # the context the cond itself runs in
        self.children: dict[str, Cond] = {}  # Merge of a nested cond -> that cond
        self.members: set[str] = set()  # (top-level conds) every node of the unit
        self.context: Callable[[str, int], tuple[Frame, ...]] = lambda src, k: ()
        self.twin: Cond | None = None  # (a gradient cond) the forward cond it reads from
        self.loops: dict[str, Any] = {}  # Exit -> the TF1 loop (in a branch) it leaves
        # A gradient cond that `exact_gradient` maps: its Merges -> the forward Switches whose
        # inputs' gradients they are, its Switches of upstream gradients -> the forward Merges.
        self.switch_targets: dict[str, str] = {}
        self.upstream: dict[str, str] = {}
        # A forward cond with mapped gradients: per Switch, the tensor it lets in (built).
        self.has_gradients = False
        self.switch_values: dict[str, Tensor] = {}


def _data(parsed: dict[str, Any], name: str) -> list[tuple[str, int]]:
    return [(src, k) for ctrl, src, k in parsed[name] if not ctrl]


def _pred_of(switch: str, by_name: dict[str, Any], parsed: dict[str, Any]) -> tuple[str, int]:
    src, k = _data(parsed, switch)[1]
    while by_name[src].op == "Identity" and _data(parsed, src):  # pred_id = Identity(pred)
        src, k = _data(parsed, src)[0]
    return src, k


def _switch_key(
    switch: str,
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    conds: dict[str, Cond],
    forward_of: dict[str, str],
) -> str:
    """The cond a Switch belongs to: its predicate and name scope (one predicate may drive
    several tf.conds; each has its own `pred_id` in its scope, which the Switches read).

    TF1's gradient of a tf.cond switches on the same `pred_id`: it is a cond of its own (in
    `gradients/`), whose branches read the forward cond's branch values (`forward_of`)."""
    pred = _pred_of(switch, by_name, parsed)
    via = _data(parsed, switch)[1][0]
    base = via if by_name[via].op == "Identity" and via.endswith("/pred_id") else switch
    scope = base.rpartition("/")[0]
    grad = _GRADIENTS.match(switch)
    if grad and not scope.startswith(grad.group(0)):
        forward_of[Cond(pred, grad.group(0) + scope).key] = Cond(pred, scope).key
        scope = grad.group(0) + scope
    c = Cond(pred, scope)
    return conds.setdefault(c.key, c).key


def _order(nodes: list[Any], parsed: dict[str, Any]) -> list[str]:
    names = {n.name for n in nodes}
    users: dict[str, list[str]] = {n: [] for n in names}
    waiting = {}
    for n in nodes:
        srcs = {src for _, src, _ in parsed[n.name] if src in names}
        waiting[n.name] = len(srcs)
        for src in srcs:
            users[src].append(n.name)
    order = [n for n, w in waiting.items() if w == 0]
    for name in order:  # (grows while it is walked)
        for u in users[name]:
            waiting[u] -= 1
            if waiting[u] == 0:
                order.append(u)
    return order


def find_conds(
    nodes: list[Any],
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    in_loops: set[str],
    where: str,
    loops: list[Any] = (),  # type: ignore[assignment]
) -> list[Cond]:
    """The outermost TF1 conditionals outside loops, each with its member nodes (those of the
    conds nested in it included) and its nested conds.

    `loops`: the outermost TF1 loops (tf1_loops.Frame). A loop inside a cond's branch (its
    Enters read the branch's values) belongs to that cond: each of its Exits is taken as a node
    reading what the loop reads from outside, and the loop's nodes join the cond's members."""
    outside = [n for n in nodes if n.name not in in_loops]
    loop_of_exit: dict[str, Any] = {}
    if loops:
        parsed = dict(parsed)
        from flowzero.interop.tf1_loops import outside_reads

        for f in loops:
            reads = outside_reads(f.all_members(), by_name, parsed)
            for e in f.exits():
                parsed[e] = [(False, s, k) for s, k in reads]
                loop_of_exit[e] = f
                outside.append(by_name[e])
    conds: dict[str, Cond] = {}
    ctx: dict[str, tuple[Frame, ...]] = {}  # node -> context of its outputs (not Switches')
    switch_key: dict[str, str] = {}
    forward_of: dict[str, str] = {}  # gradient cond -> the cond it differentiates

    def ctx_of(src: str, k: int) -> tuple[Frame, ...]:
        base = ctx.get(src, ())
        return base + ((switch_key[src], k),) if src in switch_key else base

    def gradient_key(key: str, prefix: str) -> str:
        """The key of the gradient (in scope `prefix`) of the cond `key`."""
        f = conds[key]
        if key in forward_of or f.scope.startswith(prefix):
            return key
        g = Cond(f.pred, prefix + f.scope)
        forward_of[g.key] = key
        return conds.setdefault(g.key, g).key

    def canon(c: tuple[Frame, ...]) -> tuple[Frame, ...]:
        return tuple((forward_of.get(key, key), side) for key, side in c)

    def joined(a: tuple[Frame, ...], b: tuple[Frame, ...]) -> tuple[Frame, ...]:
        """a (at least as deep as b) with b's gradient-cond frames where b has them."""
        return tuple(fb if fb[0] in forward_of else fa for fa, fb in zip(a, b)) + a[len(b) :]

    def deepest(name: str, found: list[tuple[Frame, ...]]) -> tuple[Frame, ...]:
        best: tuple[Frame, ...] = ()
        for c in found:
            if len(c) > len(best):
                best, c = c, best
            if canon(best)[: len(c)] != canon(c):
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: node '{name}' reads values of different branches of a "
                    "tf.cond (or of different tf.conds).",
                )
            best = joined(best, c)
        return best

    for name in _order(outside, parsed):
        op = by_name[name].op
        data = _data(parsed, name)
        if op in _MERGE:
            found = [ctx_of(s, k) for s, k in data]
            if not all(found):
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"{where}: Merge '{name}' merges values that come from no "
                    "Switch; only tf.cond's Switch/Merge form is imported.",
                )
            keys = {f[-1][0] for f in found}
            if len(keys) == 2 and len({forward_of.get(k, k) for k in keys}) == 1:
                # a gradient's branch value computed from forward values only
                keys = {k for k in keys if k in forward_of}
            sides = sorted(f[-1][1] for f in found)
            outer = {canon(f[:-1]) for f in found}
            if len(keys) != 1 or sides != [0, 1] or len(outer) != 1:
                raise errors.UnimplementedError(
                    None, None, f"{where}: Merge '{name}' is not the result of one tf.cond."
                )
            c = conds[keys.pop()]
            c.merges.append(name)
            c.sides[name] = {f[-1][1]: sk for f, sk in zip(found, data)}
            c.outer = ctx[name] = deepest(name, [f[:-1] for f in found])
            continue
        if op in _SWITCH:
            switch_key[name] = _switch_key(name, by_name, parsed, conds, forward_of)
            conds[switch_key[name]].switches.add(name)
            data = data[:1]  # (the predicate is read outside the branches)
        here = deepest(name, [ctx_of(s, k) for s, k in data])
        for _, src, k in (p for p in parsed[name] if p[0]):  # pivots: a branch's constants
            c = ctx_of(src, k)
            if len(c) > len(here) and canon(c)[: len(here)] == canon(here):
                here = joined(c, here)
        if name in loop_of_exit and loop_of_exit[name].grad_of is None:
            # A forward loop (its counter and pushes named in a gradient scope, and read in the
            # gradient's branches, do not make it the gradient's): the forward conds' branch.
            ctx[name] = canon(here)
            continue
        grad = _GRADIENTS.match(name) if here and not _FORWARD_SIDE.search(name) else None
        if grad:  # a gradient op reading only forward branch values is the gradient cond's
            here = tuple((gradient_key(key, grad.group(0)), side) for key, side in here)
        ctx[name] = here

    for key, fwd in forward_of.items():
        if key in conds and fwd in conds:
            conds[key].twin = conds[fwd]
            if not _map_gradient(conds[key], parsed):
                _refuse_random_reads(conds[key], ctx, ctx_of, by_name, parsed, where)
    top = []
    for c in conds.values():
        c.context = ctx_of
        if not c.merges:
            continue
        if c.outer:
            conds[c.outer[-1][0]].children.update({m: c for m in c.merges})
        else:
            top.append(c)
    for c in top:
        c.members = set(c.merges) | c.switches
    by_key = {c.key: c for c in top}
    for name, here in ctx.items():
        first = here[0][0] if here else switch_key.get(name)
        if first in by_key:
            by_key[first].members.add(name)
            if name in loop_of_exit:
                by_key[first].members |= loop_of_exit[name].all_members()
    for c in conds.values():
        c.loops = loop_of_exit
    return top


_GRAD_SCOPE = re.compile(r"^(.*)_grad(_\d+)?$")


def grad_target(name: str, candidates: set[str] | list[str]) -> str | None:
    """The forward node a node of TF1's gradient is named after: `<scope>/<X>_grad/<node>`
    -> X (the longest candidate that the scope ends with), or None."""
    m = _GRAD_SCOPE.match(name.rpartition("/")[0])
    if m is None:
        return None
    stem = m.group(1)
    best = None
    for c in candidates:
        if (stem == c or stem.endswith("/" + c)) and (best is None or len(c) > len(best)):
            best = c
    return best


def _map_gradient(g: Cond, parsed: dict[str, Any]) -> bool:
    """Maps a top-level gradient cond onto its forward cond: each Merge (`<Switch>_grad/
    cond_grad`) to the forward Switch whose input's gradient it is, each Switch of an upstream
    gradient (`<Merge>_grad/cond_grad`) to the forward Merge. Then the importer builds the
    gradients with flowzero's own through the forward cond (exact: a branch's random values are
    the forward's), instead of the cond TF wrote. False where the names do not map."""
    f = g.twin
    if f is None or g.outer or f.outer:
        return False
    targets = {}
    for m in g.merges:
        t = grad_target(m, f.switches)
        if t is None or t in targets.values():
            return False
        targets[m] = t
    upstream = {}
    for sw in g.switches:
        t = grad_target(sw, f.merges)
        if t is not None and sw.endswith("/cond_grad"):
            upstream[sw] = t
    if not upstream:
        return False
    g.switch_targets, g.upstream = targets, upstream
    f.has_gradients = True
    return True


def build_gradient(
    g: Cond, parsed: dict[str, Any], outer: Callable[[str, int], Tensor], scope: str
) -> dict[str, Tensor]:
    """The gradients a mapped gradient cond gives, built with flowzero's tf.gradients through
    the imported forward cond. Returns {Merge name: gradient}."""
    f = g.twin
    assert f is not None
    ys = [outer(m, 0) for m in g.upstream.values()]
    grad_ys = [outer(*_data(parsed, sw)[0]) for sw in g.upstream]
    merges = list(g.switch_targets)
    xs = [f.switch_values[g.switch_targets[m]] for m in merges]
    return dict(zip(merges, gradients_or_zeros(ys, xs, grad_ys, scope)))


def gradients_or_zeros(
    ys: list[Tensor], xs: list[Tensor], grad_ys: list[Tensor], scope: str
) -> list[Tensor]:
    """flowzero's tf.gradients of ys (weighted by grad_ys) for each of xs, zeros where none
    flows (an empty gradient array for a TensorArray), as TF's gradient loops and conds give:
    what a TF1 gradient frame or gradient cond is rebuilt from."""
    from flowzero.autodiff import gradients
    from flowzero.ops import array_ops, tensor_array_ops

    grads = gradients(ys, xs, grad_ys=grad_ys, name=scope) if ys else [None] * len(xs)
    out = []
    for x, g in zip(xs, grads):
        if g is None:
            g = (
                tensor_array_ops.zero_grad()
                if x.dtype.name == "variant"
                else array_ops.zeros_like(x)
            )
        out.append(g)
    return out


_RANDOM = frozenset(
    {
        "RandomUniform",
        "RandomStandardNormal",
        "TruncatedNormal",
        "RandomUniformInt",
        "Multinomial",
        "RandomShuffle",
        "RandomGamma",
        "RandomPoisson",
        "RandomPoissonV2",
    }
)


def _refuse_random_reads(
    g: Cond,
    ctx: dict[str, tuple[Frame, ...]],
    ctx_of: Callable[[str, int], tuple[Frame, ...]],
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    where: str,
) -> None:
    """A gradient cond recomputes the forward branch values it reads (flowzero's cond keeps
    no branch intermediates): refused where they depend on random numbers (dropout under a
    `training` placeholder), whose second draw would not be the forward's."""
    f = g.twin
    assert f is not None
    depth = len(g.outer)
    stack = [
        s
        for name, here in ctx.items()
        if here[depth : depth + 1] in (((g.key, 0),), ((g.key, 1),))
        for s, k in _data(parsed, name)
        if ctx_of(s, k)[depth : depth + 1] in (((f.key, 0),), ((f.key, 1),))
    ]
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        if name in seen or name in f.switches:
            continue
        seen.add(name)
        if by_name[name].op in _RANDOM:
            raise errors.UnimplementedError(
                None,
                None,
                f"{where}: the gradient of the tf.cond on '{f.pred[0]}' reads random values "
                f"of its branch ('{name}', e.g. dropout), which flowzero cannot keep.",
            )
        stack.extend(
            s
            for s, k in _data(parsed, name)
            if ctx_of(s, k)[depth : depth + 1] in (((f.key, 0),), ((f.key, 1),))
        )


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
    if used_index:
        raise errors.UnimplementedError(
            None, None, f"{where}: a Merge's value_index output is used; not imported."
        )
    return _build(c, by_name, parsed, outer, build_op, where)


def _build(
    c: Cond,
    by_name: dict[str, Any],
    parsed: dict[str, Any],
    outer: Callable[[str, int], Tensor],
    build_op: Callable[[Any, list[Tensor]], list[Tensor]],
    where: str,
) -> dict[str, Tensor]:
    from flowzero.ops.control_flow_ops import cond
    from flowzero.ops.control_ops import identity

    depth = len(c.outer)
    twin = c.twin  # a gradient cond recomputes the forward branch values it reads
    if c.has_gradients:  # each Switch's input behind an Identity of its own (gradients' xs)
        for sw in sorted(c.switches):
            c.switch_values[sw] = identity(outer(*_data(parsed, sw)[0]), name=sw.rsplit("/")[-1])

    def side(out: int) -> Callable[[], list[Tensor]]:
        mine = {((c.key, out),)} | ({((twin.key, out),)} if twin is not None else set())

        def fn() -> list[Tensor]:
            env: dict[str, list[Tensor]] = {}
            inner: dict[str, dict[str, Tensor]] = {}

            def value(src: str, k: int) -> Tensor:
                here = c.context(src, k)
                if src in c.switch_values:
                    return c.switch_values[src]
                if src in c.switches or (twin is not None and src in twin.switches):
                    s_src, s_k = _data(parsed, src)[0]  # the outer tensor it lets through
                    return outer(s_src, s_k)
                child = c.children.get(src)
                if child is None and twin is not None:
                    child = twin.children.get(src)
                if here[depth : depth + 1] not in mine:
                    return outer(src, k)
                if child is not None:
                    if k != 0:
                        raise errors.UnimplementedError(
                            None, None, f"{where}: the value_index of Merge '{src}' is used."
                        )
                    if child.key not in inner:
                        # What it reads from this branch is built here, not in its branches.
                        for sw in sorted(child.switches):
                            value(*_data(parsed, sw)[0])
                        inner[child.key] = _build(child, by_name, parsed, value, build_op, where)
                    return inner[child.key][src]
                loop = c.loops.get(src)
                if loop is not None:  # a TF1 loop inside this branch: built here
                    if loop.key not in inner:
                        from flowzero.interop import tf1_loops

                        reads = tf1_loops.outside_reads(loop.all_members(), by_name, parsed)
                        for s, kk in reads:
                            value(s, kk)  # (what it reads: built here, not in its body)
                        inner[loop.key] = tf1_loops.build_frame(
                            loop, by_name, parsed, value, build_op, where
                        )
                    return inner[loop.key][src]
                if src not in env:
                    ins = [value(s, kk) for s, kk in _data(parsed, src)]
                    env[src] = build_op(by_name[src], ins)
                return env[src][k]

            return [value(*c.sides[m][out]) for m in c.merges]

        return fn

    results = cond(outer(*c.pred), side(1), side(0), strict=True)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    return dict(zip(c.merges, results))
