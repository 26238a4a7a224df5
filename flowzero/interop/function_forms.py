"""flowzero function Bodies written as TensorFlow FunctionDefs (in a GraphDef's `library`).

A tf.data transformation that carries a function (`map`, `filter`, `flat_map`, `interleave`)
and a one-shot iterator's dataset factory are nodes whose func attr names a FunctionDef. A
FunctionDef is a list of NodeDefs like a graph's, with two differences: its arguments and
results are named in its signature (`input_arg` / `output_arg`, results bound by `ret`), and a
node's input names the output *argument* of the node it reads: `node:arg:index` (`mul:z:0`,
`split:output:1`), which needs the op's output argument names (tf_op_outputs.py, from TF's
op registry). Each op of the body is written through the same op_mapping.export_node as a
graph's.

`FunctionWriter` has the methods of the graph writer that dataset_forms uses (`node`,
`unique`, `ref`), plus `out` (a reference to a node's output in the function's form), so the
dataset nodes of a `flat_map` function (which returns a dataset) are written by the same code
as a graph's.

Not written (UnimplementedError naming the op): ops with no TF form, ops whose TF type's
output arguments are not known, queue / reader ops (their handles), and control flow or
TensorArrays inside the function.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from flowzero.framework import errors
from flowzero.framework.shapes import TensorShape
from flowzero.interop import convert
from flowzero.interop.tf_op_outputs import OUTPUTS
from flowzero.proto import attr_value_pb2

# Inside a function: no iterator or TensorArray resources (flowzero's If / While are written as
# TF's functional If / While, their branches and bodies functions of their own).
_REFUSED = frozenset(
    {
        "MakeIterator",
        "IteratorGetNext",
        "IteratorToStringHandle",
        "DatasetCardinality",
        "DatasetToSingleElement",
        "ReduceDataset",
    }
)


def no_form(op: Any, why: str) -> errors.UnimplementedError:
    return errors.UnimplementedError(
        None, None, f"{op.type} '{op.name}': {why} has no TensorFlow GraphDef form here."
    )


def func_attr(name: str) -> Any:
    """The AttrValue of a func attr naming function `name`."""
    return attr_value_pb2.AttrValue(func=attr_value_pb2.NameAttrList(name=name))


def _split_ref(ref: str) -> tuple[str, int]:
    name, _, k = ref.partition(":")
    return name, int(k or 0)


class FunctionWriter:
    """Writes NodeDefs into one FunctionDef; names are local to the function."""

    def __init__(self, fdef: Any, scope: str, root: Any) -> None:
        self.fdef = fdef
        # the graph writer: its library (where nested functions go too) and its handles
        self.gd, self.handles = root.gd, root.handles
        self.scope = scope + "/" if scope else ""
        self.used: set[str] = set()
        self.args: dict[str, str] = {}  # flowzero _Arg op name -> input argument name
        self.names: dict[str, str] = {}  # flowzero op (or helper node) name -> local name
        self.remap: dict[tuple[str, int], str] = {}  # flowzero tensor -> function reference
        self.written: dict[str, tuple[str, dict[str, Any]]] = {}  # local -> (TF type, attrs)
        self.key: Any = None  # what the function is written for (new_function)

    # -- what dataset_forms calls ------------------------------------------------------------
    def unique(self, name: str) -> str:
        """A new local node name from a flowzero name (the body's scope left out)."""
        if self.scope and name.startswith(self.scope):
            name = name[len(self.scope) :]
        return convert.fresh_name(self.used, name or "node")

    def node(self, name: str, op_type: str, inputs: list[str], attrs: dict[str, Any]) -> Any:
        node = self.fdef.node_def.add(name=name, op=op_type)
        node.input.extend(inputs)
        convert.set_attrs(node, attrs)
        self.written[name] = (op_type, attrs)
        return node

    def out(self, name: str, k: int = 0) -> str:
        """`node:arg:index`: output k of the local node `name`."""
        op_type, attrs = self.written[name]
        sig = OUTPUTS.get(op_type)
        if sig is None:
            raise errors.UnimplementedError(
                None,
                None,
                f"{op_type} node '{name}': its output arguments are not known to flowzero, "
                "so it cannot be written inside a TensorFlow function.",
            )
        for arg in sig:
            arg_name, _, size = arg.partition("*")
            if not size:
                n = 1
            else:
                v = attrs.get(size)
                n = len(v) if isinstance(v, (list, tuple)) else int(v) if v is not None else 0
            if k < n:
                return f"{name}:{arg_name}:{k}"
            k -= n
        raise errors.UnimplementedError(
            None, None, f"{op_type} node '{name}': has no output {k} in TF's signature."
        )

    def ref(self, t: Any) -> str:
        """The function's reference to flowzero tensor `t` (an argument or a node output)."""
        return self.ref_of(t.op.name, t.value_index)

    def ref_of(self, name: str, k: int) -> str:
        done = self.remap.get((name, k))
        if done is not None:
            return done
        arg = self.args.get(name)
        if arg is not None:
            return arg
        return self.out(self.names[name], k)

    def ref_str(self, ref: str) -> str:
        """A graph-form input string (`node`, `node:k`, `^node`) in the function's form."""
        if ref.startswith("^"):
            return "^" + self.names[ref[1:]]
        return self.ref_of(*_split_ref(ref))

    # -- the signature ---------------------------------------------------------------------
    def add_input(self, name: str, dtype: Any) -> str:
        self.fdef.signature.input_arg.add(name=name, type=convert.dtype_enum(dtype))
        self.used.add(name)
        return name

    def add_output(self, name: str, dtype: Any, ref: str) -> None:
        self.fdef.signature.output_arg.add(name=name, type=convert.dtype_enum(dtype))
        self.fdef.ret[name] = ref


def new_function(w: Any, key: Any, base: str) -> tuple[str, FunctionWriter | None]:
    """The library name of the function for `key` and None if it is written already (once
    per graph); else a placeholder name and a writer for it (`finish` names it)."""
    done = w.handles.get(("function", key))
    if done is not None:
        return done, None
    stem = "".join(c if c.isalnum() or c == "_" else "_" for c in base)
    fdef = w.gd.library.function.add()
    fdef.signature.name = stem
    fw = FunctionWriter(fdef, base, w)
    fw.key = key
    return stem, fw


def finish(fw: FunctionWriter) -> str:
    """Names a written function `<stem>_<digest of its content>` (like TF's suffixes: two
    graphs imported into one TF graph do not clash) and records it; its name."""
    import hashlib

    fdef = fw.fdef
    digest = hashlib.sha1(fdef.SerializeToString(deterministic=True)).hexdigest()[:10]
    fdef.signature.name = name = f"{fdef.signature.name}_{digest}"
    fw.handles[("function", fw.key)] = name
    if ("named", name) in fw.handles:  # the same function again (one-shot factories alike)
        lib = fw.gd.library.function
        del lib[next(i for i, f in enumerate(lib) if f is fdef)]
    fw.handles[("named", name)] = name
    return name


def write_body(
    w: Any,
    body: Any,
    what: str,
    results: Callable[[FunctionWriter], list[tuple[str, Any]]] | None = None,
    layout: tuple[list[Any], list[int]] | None = None,
) -> str:
    """Writes a Body as a FunctionDef of w's library (once per body); its name.

    The arguments are the body's (explicit ones, then captures), or with `layout` (the
    dtypes of the function's inputs, the input of each body argument) inputs `input_<i>`
    of which the body reads some (an If branch, a While condition or body); the results are
    the body's outputs, or what `results(fw)` writes and returns as (reference, dtype)
    pairs (a flat_map function's dataset).
    """
    name, fw = new_function(w, id(body), body.scope)
    if fw is None:
        return name
    if layout is None:
        n = body.n_explicit
        for k, a in enumerate(body.args):
            arg = f"arg_{k}" if k < n else f"capture_{k - n}"
            fw.args[a.op.name] = fw.add_input(arg, a.dtype)
    else:
        dts, where = layout
        names = [fw.add_input(f"input_{i}", dt) for i, dt in enumerate(dts)]
        for a, i in zip(body.args, where):
            fw.args[a.op.name] = names[i]
    for op in _needed(body):
        _write_op(fw, op, body, what)
    outs = results(fw) if results is not None else [(fw.ref(t), t.dtype) for t in body.outputs]
    for k, (ref, dtype) in enumerate(outs):
        fw.add_output(f"output_{k}", dtype, ref)
    return finish(fw)


def _needed(body: Any) -> list[Any]:
    """The body's ops its outputs need (its plan runs only these), in creation order."""
    seen: set[Any] = set()
    stack = [t.op for t in body.outputs]
    while stack:
        op = stack.pop()
        if op in seen or op._body is not body:
            continue
        seen.add(op)
        stack.extend(t.op for t in op.inputs)
        stack.extend(op.control_inputs)
    return [op for op in body.ops if op in seen and op.type != "_Arg"]


def _write_op(fw: FunctionWriter, op: Any, body: Any, what: str) -> None:
    from flowzero.interop import op_mapping  # (it imports dataset_forms, which imports this)

    if op.type in ("If", "While"):
        _write_control_flow(fw, op, body, what)
        return
    if op.type in _REFUSED or op.type.startswith("TensorArray"):
        raise no_form(op, f"a {op.type} inside a {what} function")
    ex = op_mapping.export_node(op)
    if ex.handles:
        raise no_form(op, f"a queue or reader op inside a {what} function")
    if ex.op_type not in OUTPUTS:
        raise no_form(op, f"{ex.op_type} (output arguments not known) inside a {what} function")

    def helpers(nodes: list[tuple[str, str, list[str], dict[str, Any]]]) -> None:
        for name, op_type, inputs, attrs in nodes:
            local = fw.names[name] = fw.unique(name)
            fw.node(local, op_type, [fw.ref_str(i) for i in inputs], attrs)

    helpers(ex.extra)
    local = fw.names[op.name] = fw.unique(op.name)
    inputs = [fw.ref_str(i) for i in ex.inputs]
    inputs += [f"^{fw.names[c.name]}" for c in op.control_inputs if c._body is body]
    fw.node(local, ex.op_type, inputs, ex.attrs)
    helpers(ex.after)
    for k, ref in ex.renames.items():
        fw.remap[(op.name, k)] = fw.ref_str(ref)


def _write_control_flow(fw: FunctionWriter, op: Any, body: Any, what: str) -> None:
    """flowzero's If / While inside a function as TF's functional If / While (TF 2.x's
    control flow): every branch (the condition and the body) a function taking all the node's
    inputs; a While's captured tensors pass through its body unchanged."""
    a = op.opdef.attrs
    if op.outputs[-1].consumers():
        raise no_form(op, f"the gradient of a {op.type} inside a {what} function")
    ins = list(op.inputs)
    local = fw.names[op.name] = fw.unique(op.name)
    inputs = [fw.ref(t) for t in ins]
    inputs += [f"^{fw.names[c.name]}" for c in op.control_inputs if c._body is body]
    outs = op.outputs[:-1]
    shapes = [t.shape for t in outs]
    if op.type == "If":
        dts = [t.dtype for t in ins[1:]]
        funcs = []
        for b, branch in enumerate(a["branches"]):
            lo = a["split"][b]
            where = list(range(lo, lo + len(branch.args)))
            funcs.append(write_body(fw, branch, what, layout=(dts, where)))
        attrs: dict[str, Any] = {
            "Tcond": ins[0].dtype,
            "Tin": dts,
            "Tout": [t.dtype for t in outs],
            "then_branch": func_attr(funcs[0]),
            "else_branch": func_attr(funcs[1]),
            "output_shapes": shapes,
        }
        fw.node(local, "If", inputs, attrs)
        return
    n, nc, nb = a["n"], a["nc"], a["nb"]
    dts = [t.dtype for t in ins]
    limit = len(ins) - 1 if a["has_max"] else None  # maximum_iterations: the last input
    if limit is not None:  # TF's form: one more loop variable counts the iterations
        count_dt = ins[limit].dtype
        zero = fw.unique(f"{local}/iterations")
        fw.node(zero, "Const", [], {"dtype": count_dt, "value": np.zeros((), count_dt.np)})
        inputs.insert(len(ins), fw.out(zero))
        dts.append(count_dt)
    count = f"input_{len(dts) - 1}"

    def cond_results(cw: FunctionWriter) -> list[tuple[str, Any]]:
        (c,) = a["cond"].outputs
        if limit is None:
            return [(cw.ref(c), c.dtype)]
        less = cw.unique("below_maximum_iterations")
        cw.node(less, "Less", [count, f"input_{limit}"], {"T": count_dt})
        both = cw.unique("and")
        cw.node(both, "LogicalAnd", [cw.out(less), cw.ref(c)], {})
        return [(cw.out(both), c.dtype)]

    cond = write_body(fw, a["cond"], what, cond_results, layout=(dts, list(range(n + nc))))
    keep = list(range(n, len(ins)))  # the captures (and the limit): passed through, unchanged

    def results(bw: FunctionWriter) -> list[tuple[str, Any]]:
        outs = [(bw.ref(t), t.dtype) for t in a["body"].outputs]
        outs += [(f"input_{i}", dts[i]) for i in keep]
        if limit is not None:
            one = bw.unique("one")
            bw.node(one, "Const", [], {"dtype": count_dt, "value": np.ones((), count_dt.np)})
            step = bw.unique("next_iteration")
            bw.node(step, "AddV2", [count, bw.out(one)], {"T": count_dt})
            outs.append((bw.out(step), count_dt))
        return outs

    where = list(range(n)) + list(range(n + nc, n + nc + nb))
    loop = write_body(fw, a["body"], what, results, layout=(dts, where))
    counter = [TensorShape([])] if limit is not None else []
    attrs = {
        "T": dts,
        "cond": func_attr(cond),
        "body": func_attr(loop),
        "output_shapes": shapes + [t.shape for t in ins[n:]] + counter,
        "parallel_iterations": int(a.get("parallel_iterations") or 10),
    }
    fw.node(local, "While", inputs, attrs)
