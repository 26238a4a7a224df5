"""Initializing variables from a checkpoint: tf.train.init_from_checkpoint, tf.train.warm_start
and tf.train.VocabInfo (TF 1.15's checkpoint_utils / warm_starting_util).

Both work as TF's do: they replace a variable's initializer with one that assigns the
checkpoint's value, so nothing happens until the initializers run (global_variables_initializer,
a Scaffold, a MonitoredSession).

    tf.train.init_from_checkpoint("/tmp/model", {"old_scope/": "new_scope/"})
    sess.run(tf.global_variables_initializer())   # new_scope/* now hold old_scope/*'s values
"""

from __future__ import annotations

import collections
import os
from typing import Any

import numpy as np

from flowzero.framework.graph import GraphKeys, get_default_graph
from flowzero.train.checkpoint_utils import _is_flowzero_format, _resolve, load_checkpoint


def _is_variable(x: Any) -> bool:
    from flowzero.variables import Variable

    return isinstance(x, Variable)


def _var_name(v: Any) -> str:
    return v.name[:-2] if v.name.endswith(":0") else v.name


def _store_vars() -> dict[str, Any]:
    from flowzero.variables import _store

    return _store(get_default_graph())["vars"]


def _set_initializer(var: Any, ckpt_file: str, tensor_name: str) -> None:
    """var's initializer becomes `assign(var, <tensor_name of ckpt_file>)` (TF's
    _set_checkpoint_initializer): a RestoreV2 op for TF's format, the value itself for
    flowzero's earlier JSON format (which RestoreV2 does not read)."""
    from flowzero.ops import state_ops
    from flowzero.ops.array_ops import constant

    g = var.graph
    with g.as_default(), g.name_scope(_var_name(var).split("/")[-1] + "/checkpoint_initializer"):
        if _is_flowzero_format(ckpt_file):
            value = constant(load_checkpoint(ckpt_file).get_tensor(tensor_name), dtype=var.dtype)
        else:
            from flowzero.ops.checkpoint_ops import restore_v2

            value = restore_v2(ckpt_file, [tensor_name], [""], [var.dtype.base_dtype])[0]
            value.set_shape(var.shape)
        var._initializer_op = state_ops.assign(var, value)
        var._initial_value = value


def init_from_checkpoint(ckpt_dir_or_file: str, assignment_map: dict[str, Any]) -> None:
    """Replaces the initializers of variables with loading them from a checkpoint.

    Args:
        ckpt_dir_or_file: a checkpoint prefix, or a directory (its latest checkpoint).
        assignment_map: {checkpoint name or scope: current variable, name or scope}:
            "old_scope/": "new_scope/" loads every variable of new_scope (made by
            tf.get_variable) from old_scope's tensor of the same relative name;
            "old/w": "new/w" or "old/w": <Variable> loads one variable; "/": "scope/" loads
            scope/* from the checkpoint's root names.

    Raises:
        ValueError: a checkpoint name is missing from the checkpoint, a scope maps to a
            variable name, or the shapes differ.
    """
    ckpt_file = _resolve(ckpt_dir_or_file)
    reader = load_checkpoint(ckpt_file)
    variable_map = reader.get_variable_to_shape_map()
    store_vars = _store_vars()
    for tensor_name, current in sorted(assignment_map.items(), key=lambda kv: kv[0]):
        if _is_variable(current):
            var = current
        elif isinstance(current, (list, tuple)) and current and all(map(_is_variable, current)):
            raise NotImplementedError(
                "init_from_checkpoint: partitioned variables (a list of Variables) are not "
                "supported by flowzero."
            )
        elif isinstance(current, str):
            var = store_vars.get(current)
        else:
            raise TypeError(
                "init_from_checkpoint: assignment_map values must be Variables or variable "
                f"names / scopes; got {type(current).__name__} for '{tensor_name}'."
            )
        if var is not None:
            if tensor_name not in variable_map:
                raise ValueError(
                    f"Tensor {tensor_name} is not found in {ckpt_dir_or_file} checkpoint "
                    f"{variable_map}"
                )
            if not var.shape.is_compatible_with(variable_map[tensor_name]):
                raise ValueError(
                    f"Shape of variable {var.name} ({var.shape}) doesn't match with shape of "
                    f"tensor {tensor_name} ({variable_map[tensor_name]}) from checkpoint reader."
                )
            _set_initializer(var, ckpt_file, tensor_name)
            continue
        scopes = current[: current.rindex("/")] if "/" in current else ""
        if not tensor_name.endswith("/"):
            raise ValueError(
                f"Assignment map with scope only name {scopes} should map to scope only "
                f"{tensor_name}. Should be 'scope/': 'other_scope/'."
            )
        for var_name in sorted(n for n in store_vars if not scopes or n.startswith(scopes + "/")):
            full = var_name[len(scopes) :]
            if current != "/":
                full = full[1:]
            if tensor_name != "/":
                full = tensor_name + full
            full = full.rstrip("/")
            if full not in variable_map:
                raise ValueError(
                    f"Tensor {full} ({var_name[len(scopes) + 1 :]} in {tensor_name}) is not "
                    f"found in {ckpt_dir_or_file} checkpoint"
                )
            var = store_vars[var_name]
            if not var.shape.is_compatible_with(variable_map[full]):
                raise ValueError(
                    f"Shape of variable {var.name} ({var.shape}) doesn't match with shape of "
                    f"tensor {full} ({variable_map[full]}) from checkpoint reader."
                )
            _set_initializer(var, ckpt_file, full)


class VocabInfo(
    collections.namedtuple(
        "VocabInfo",
        [
            "new_vocab",
            "new_vocab_size",
            "num_oov_buckets",
            "old_vocab",
            "old_vocab_size",
            "backup_initializer",
            "axis",
        ],
    )
):
    """How to warm-start an embedding (or output layer) whose rows (axis=0) or columns
    (axis=1) follow a vocabulary file: the vocabularies map new rows to old ones by token;
    rows of tokens the old vocabulary lacks come from backup_initializer (zeros by default);
    the num_oov_buckets rows after the vocabulary are copied from the old OOV rows."""

    def __new__(
        cls,
        new_vocab: str,
        new_vocab_size: int,
        num_oov_buckets: int,
        old_vocab: str,
        old_vocab_size: int = -1,
        backup_initializer: Any = None,
        axis: int = 0,
    ) -> VocabInfo:
        if axis not in (0, 1):
            raise ValueError(
                f"The only supported values for the axis argument are 0 and 1; got {axis}."
            )
        return super().__new__(
            cls,
            new_vocab,
            new_vocab_size,
            num_oov_buckets,
            old_vocab,
            old_vocab_size,
            backup_initializer,
            axis,
        )


def _read_vocab(path: str, size: int) -> list[str]:
    with open(os.fspath(path), encoding="utf-8") as f:
        words = [line.rstrip("\r\n") for line in f]
    return words if size is None or size < 0 else words[:size]


def _warm_start_with_vocab(var: Any, ckpt_file: str, prev_name: str, info: VocabInfo) -> None:
    """var's initializer becomes the old tensor with its vocabulary axis remapped by token."""
    from flowzero.ops import state_ops
    from flowzero.ops.array_ops import constant

    old = load_checkpoint(ckpt_file).get_tensor(prev_name)
    new_words = _read_vocab(info.new_vocab, info.new_vocab_size)
    if len(new_words) < info.new_vocab_size:
        raise ValueError(
            f"warm_start: new vocab {info.new_vocab} has {len(new_words)} entries; "
            f"new_vocab_size is {info.new_vocab_size}."
        )
    old_words = _read_vocab(info.old_vocab, info.old_vocab_size)
    old_index = {}
    for i, w in enumerate(old_words):
        old_index.setdefault(w, i)
    axis = info.axis
    shape = [int(d) for d in var.shape.as_list()]
    if shape[axis] != info.new_vocab_size + info.num_oov_buckets:
        raise ValueError(
            f"warm_start: variable {var.name} has {shape[axis]} entries on axis {axis}; the "
            f"vocab gives new_vocab_size + num_oov_buckets = "
            f"{info.new_vocab_size + info.num_oov_buckets}."
        )
    if info.backup_initializer is None:
        out = np.zeros(shape, dtype=var.dtype.np)
    else:
        out = np.array(
            _eval_initializer(info.backup_initializer, shape, var.dtype), dtype=var.dtype.np
        )
    moved = np.moveaxis(out, axis, 0)
    src = np.moveaxis(old, axis, 0)
    for i, w in enumerate(new_words):
        j = old_index.get(w)
        if j is not None:
            moved[i] = src[j]
    for k in range(info.num_oov_buckets):
        j = len(old_words) + k
        if j < src.shape[0]:
            moved[info.new_vocab_size + k] = src[j]
    g = var.graph
    with g.as_default(), g.name_scope(_var_name(var).split("/")[-1] + "/warm_start_vocab"):
        value = constant(out, dtype=var.dtype)
        var._initializer_op = state_ops.assign(var, value)
        var._initial_value = value


def _eval_initializer(init: Any, shape: list[int], dtype: Any) -> np.ndarray:
    from flowzero.framework.graph import Graph
    from flowzero.runtime.session import Session

    g = Graph()
    with g.as_default():
        t = init(shape, dtype=dtype)
        with Session(graph=g) as sess:
            return sess.run(t)


def _vars_to_warm_start(spec: Any) -> list[Any]:
    g = get_default_graph()
    if isinstance(spec, str):
        return g.get_collection(GraphKeys.TRAINABLE_VARIABLES, scope=spec)
    if isinstance(spec, (list, tuple)):
        if all(isinstance(s, str) for s in spec):
            out: list[Any] = []
            for s in spec:
                out += [
                    v for v in g.get_collection(GraphKeys.GLOBAL_VARIABLES, scope=s) if v not in out
                ]
            return out
        if all(_is_variable(v) for v in spec):
            return list(spec)
    if spec is None:
        return []
    raise ValueError(
        "vars_to_warm_start must be a regex string, a list of regex strings, a list of "
        f"Variables, or None; got {spec!r}."
    )


def warm_start(
    ckpt_to_initialize_from: str,
    vars_to_warm_start: Any = ".*",
    var_name_to_vocab_info: dict[str, VocabInfo] | None = None,
    var_name_to_prev_var_name: dict[str, str] | None = None,
) -> None:
    """Warm-starts variables from a checkpoint (TF's tf.train.warm_start).

    Args:
        ckpt_to_initialize_from: a checkpoint prefix or directory.
        vars_to_warm_start: a regex over the trainable variables' names (default '.*'), a list
            of regexes over all global variables, a list of Variables, or None (only the
            variables named in var_name_to_vocab_info).
        var_name_to_vocab_info: {variable name: VocabInfo} for vocabulary-indexed variables.
        var_name_to_prev_var_name: {variable name: its name in the checkpoint}.

    Raises:
        ValueError: a name of var_name_to_vocab_info / var_name_to_prev_var_name matched no
            variable being warm-started, or a checkpoint tensor is missing or misshapen.
    """
    vocab_infos = dict(var_name_to_vocab_info or {})
    prev_names = dict(var_name_to_prev_var_name or {})
    ckpt_file = _resolve(ckpt_to_initialize_from)
    chosen = _vars_to_warm_start(vars_to_warm_start)
    if vars_to_warm_start is None:
        trainable = get_default_graph().get_collection(GraphKeys.TRAINABLE_VARIABLES)
        chosen = [v for v in trainable if _var_name(v) in vocab_infos]
    used_vocab, used_prev = set(), set()
    for var in chosen:
        name = _var_name(var)
        prev = prev_names.get(name, name)
        if name in prev_names:
            used_prev.add(name)
        if name in vocab_infos:
            used_vocab.add(name)
            _warm_start_with_vocab(var, ckpt_file, prev, vocab_infos[name])
        else:
            init_from_checkpoint(ckpt_file, {prev: var})
    unused_vocab = set(vocab_infos) - used_vocab
    unused_prev = set(prev_names) - used_prev
    if unused_vocab or unused_prev:
        raise ValueError(
            "You provided the following variables in var_name_to_vocab_info that were not "
            f"used: {sorted(unused_vocab)}.  You provided the following variables in "
            f"var_name_to_prev_var_name that were not used: {sorted(unused_prev)}.  Perhaps "
            "you misspelled them?  Here is the list of viable variable names: "
            f"{[_var_name(v) for v in chosen]}"
        )


__all__ = ["VocabInfo", "init_from_checkpoint", "warm_start"]
