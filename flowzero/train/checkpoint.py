"""tf.train.Checkpoint and tf.train.CheckpointManager: object-based checkpoints, graph mode
and eager mode (there, save() needs no session and restore() assigns the values at once).

A Checkpoint names its values by where they hang in an object graph: `ckpt =
tf.train.Checkpoint(model=..., optimizer=...)` saves a Variable reached as `ckpt.model.kernel`
under the key `model/kernel/.ATTRIBUTES/VARIABLE_VALUE`, an optimizer's slot for it under
`model/kernel/.OPTIMIZER_SLOT/optimizer/<slot>/.ATTRIBUTES/VARIABLE_VALUE`, and the save counter
under `save_counter/.ATTRIBUTES/VARIABLE_VALUE`, with the object graph itself (TF's
TrackableObjectGraph proto, written by hand here) in `_CHECKPOINTABLE_OBJECT_GRAPH`: the files
are TensorFlow's V2 format (flowzero/train/tensor_bundle.py) and tf.train.Checkpoint reads them.

Trackable values: tf.Variable, tf.train.Optimizer (its slots and non-slot variables), another
tf.train.Checkpoint, and any object whose attributes hold such values (a model class of
Variables). Restoring matches values by key, so the Python objects must have the structure of
the saved ones. In eager mode, an optimizer's slots made after restore() (on its first step)
get their saved values when they are made; other variables created only after the call are
not restored.
"""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import get_default_graph, session_for
from flowzero.train.checkpoint_utils import (
    delete_checkpoint,
    get_checkpoint_state,
    open_checkpoint,
    update_checkpoint_state,
    write_checkpoint,
)
from flowzero.train.optimizer import Optimizer
from flowzero.variables import Variable

_ATTR = ".ATTRIBUTES/VARIABLE_VALUE"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


# -- a minimal protobuf writer for TrackableObjectGraph -------------------------------------------
def _varint(v: int) -> bytes:
    out = bytearray()
    v &= (1 << 64) - 1
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num: int, payload: bytes | int | str) -> bytes:
    if isinstance(payload, int):
        return _varint(num << 3) + _varint(payload)
    data = payload.encode() if isinstance(payload, str) else payload
    return _varint((num << 3) | 2) + _varint(len(data)) + data


class _Node:
    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self.children: list[tuple[str, int]] = []
        self.key: str | None = None  # the checkpoint key of a variable node
        self.slots: list[tuple[int, str, int]] = []  # (original node, slot name, slot node)

    def encode(self) -> bytes:
        out = b"".join(_field(1, _field(1, i) + _field(2, n)) for n, i in self.children)
        if self.key is not None:
            t = _field(1, "VARIABLE_VALUE") + _field(2, self.obj.op.name) + _field(3, self.key)
            out += _field(2, t)
        for orig, slot, node in self.slots:
            out += _field(3, _field(1, orig) + _field(2, slot) + _field(3, node))
        return out


def _dependencies(obj: Any) -> list[tuple[str, Any]]:
    """(local name, value) of obj's trackable children, in a stable order."""
    if isinstance(obj, Checkpoint):
        deps = list(obj._deps.items())
        if obj._save_counter is not None:
            deps.append(("save_counter", obj._save_counter))
        return deps
    if isinstance(obj, Optimizer):
        g = get_default_graph()
        return sorted((n, v) for (n, gid), v in obj._non_slot_dict.items() if gid == id(g))
    if isinstance(obj, Variable):
        return []
    out = []
    for k, v in sorted(vars(obj).items()):
        if not k.startswith("_") and _trackable(v):
            out.append((k, v))
    return out


def _trackable(v: Any) -> bool:
    if isinstance(v, (Variable, Optimizer, Checkpoint)):
        return True
    return hasattr(v, "__dict__") and not isinstance(v, type) and bool(_dependencies(v))


def _escape(name: str) -> str:
    # TF escapes '/' and '.' in local names so that keys split back into path elements.
    return name.replace(".", "..").replace("/", ".S")


class _ObjectGraph:
    """The object graph under a root, breadth first (TF's order): nodes, each variable's key."""

    def __init__(self, root: Any) -> None:
        self.nodes: list[_Node] = [_Node(root)]
        ids = {id(root): 0}
        paths: dict[int, str] = {0: ""}
        queue = [0]
        while queue:
            i = queue.pop(0)
            for name, child in _dependencies(self.nodes[i].obj):
                j = ids.get(id(child))
                if j is None:
                    j = ids[id(child)] = len(self.nodes)
                    self.nodes.append(_Node(child))
                    p = _escape(name)
                    paths[j] = f"{paths[i]}/{p}" if paths[i] else p
                    queue.append(j)
                self.nodes[i].children.append((name, j))
        self.variables: dict[str, Variable] = {}
        for i, n in enumerate(self.nodes):
            if isinstance(n.obj, Variable):
                n.key = f"{paths[i]}/{_ATTR}"
                self.variables[n.key] = n.obj
        # Optimizer slots of the variables in the graph.
        for oi, on in list(enumerate(self.nodes)):
            if not isinstance(on.obj, Optimizer):
                continue
            for slot_name in on.obj.get_slot_names():
                for vi, vn in list(enumerate(self.nodes)):
                    if not isinstance(vn.obj, Variable):
                        continue
                    slot = on.obj.get_slot(vn.obj, slot_name)
                    if slot is None:
                        continue
                    si = len(self.nodes)
                    sn = _Node(slot)
                    sn.key = f"{paths[vi]}/.OPTIMIZER_SLOT/{paths[oi]}/{slot_name}/{_ATTR}"
                    self.nodes.append(sn)
                    self.variables[sn.key] = slot
                    on.slots.append((vi, slot_name, si))

    def serialize(self) -> bytes:
        return b"".join(_field(1, n.encode()) for n in self.nodes)


def _session(session: Any) -> Any:
    # Graph mode: ops run in the given session or the default one, which must hold this graph.
    # Eager mode: the variables' cells are the eager program's (flowzero/eager/saving.py).
    if getattr(get_default_graph(), "_eager", False):
        from flowzero.eager.saving import eager_session

        return session if session is not None else eager_session()
    return session_for(get_default_graph(), session, "save or restore a tf.train.Checkpoint")


def _executing_eagerly() -> bool:
    return getattr(get_default_graph(), "_eager", False)


def _cell(sess: Any, var: Variable) -> Any:
    from flowzero.train.saver import _cell as saver_cell

    return saver_cell(sess, var.op.name)


class Checkpoint:
    """Groups trackable objects and saves/restores their variables (graph mode).

    Args:
        **kwargs: name -> trackable (tf.Variable, optimizer, tf.train.Checkpoint, or an object
            whose public attributes hold those); the names are the first key elements.

    Raises:
        ValueError: a value is not trackable.

    Example:
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> opt = tf.train.AdamOptimizer(0.1)
        >>> train_op = opt.minimize(tf.reduce_sum(w * w))
        >>> ckpt = tf.train.Checkpoint(w=w, optimizer=opt)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> path = ckpt.save("ckpts/model", session=sess)
        >>> path
        'ckpts/model-1'
        >>> sess.run(train_op)
        >>> ckpt.restore(path).assert_consumed().run_restore_ops(sess)
        >>> sess.run(w)
        array([1., 2.], dtype=float32)
    """

    def __init__(self, **kwargs: Any) -> None:
        self._deps: dict[str, Any] = {}
        self._save_counter: Variable | None = None
        for k, v in sorted(kwargs.items()):
            if not _trackable(v):
                raise ValueError(
                    f"`Checkpoint` was expecting a trackable object (a tf.Variable, an "
                    f"optimizer, a tf.train.Checkpoint or an object holding them) for "
                    f"argument '{k}'; got {v!r}."
                )
            self._deps[k] = v

    def __getattr__(self, name: str) -> Any:
        deps = self.__dict__.get("_deps", {})
        if name in deps:
            return deps[name]
        raise AttributeError(f"'Checkpoint' object has no attribute '{name}'")

    @property
    def save_counter(self) -> Variable:
        """An int64 Variable counting save() calls (created on first use)."""
        if self._save_counter is None:
            self._save_counter = Variable(
                np.int64(0), name="save_counter", trainable=False, dtype=dtypes.int64
            )
        return self._save_counter

    def _values(self, sess: Any) -> dict[str, Any]:
        graph = _ObjectGraph(self)
        values: dict[str, Any] = {k: _cell(sess, v).read() for k, v in graph.variables.items()}
        values[OBJECT_GRAPH_KEY] = np.array(graph.serialize(), dtype=object)
        return values

    def write(self, file_prefix: str, session: Any = None) -> str:
        """Writes a checkpoint at exactly `file_prefix` (no counter, no state file).

        Returns:
            file_prefix.
        """
        sess = _session(session)
        self._ensure_counter(sess)
        prefix = os.fspath(file_prefix)
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        write_checkpoint(prefix, self._values(sess))
        return prefix

    def _ensure_counter(self, sess: Any) -> Any:
        cell = _cell(sess, self.save_counter)
        if cell.value is None:
            cell.value = np.array(0, dtype=np.int64)
        return cell

    def save(self, file_prefix: str, session: Any = None) -> str:
        """Adds one to save_counter and writes `<file_prefix>-<save_counter>`; the directory's
        `checkpoint` state file then names it (tf.train.latest_checkpoint finds it).

        Returns:
            The checkpoint's path prefix.
        """
        sess = _session(session)
        cell = self._ensure_counter(sess)
        cell.value = np.array(cell.value + 1, dtype=np.int64)
        path = self.write(f"{os.fspath(file_prefix)}-{int(cell.value)}", sess)
        save_dir = os.path.dirname(os.path.abspath(path))
        update_checkpoint_state(save_dir, os.path.abspath(path), [os.path.abspath(path)])
        return path

    def restore(self, save_path: str | None) -> CheckpointLoadStatus | InitializationOnlyStatus:
        """A status whose run_restore_ops(session) assigns the saved values (matched by key);
        with `save_path` None, a status whose initialize_or_restore() runs initializers.

        Raises:
            tf.errors.NotFoundError: no checkpoint at save_path.
        """
        if save_path is None:
            return InitializationOnlyStatus(self)
        reader = open_checkpoint(os.fspath(save_path))
        status = CheckpointLoadStatus(self, os.fspath(save_path), reader)
        if _executing_eagerly():  # as TF's eager restore: the values are assigned at once
            status.run_restore_ops()
            if status._match()[1]:
                # Values with no variable yet (an optimizer's slots, made on its first step):
                # restored when the optimizer creates them (restore_deferred), as TF defers.
                get_default_graph()._deferred_restores.append(status)
        return status

    read = restore


class InitializationOnlyStatus:
    """restore(None): nothing to restore; initialize_or_restore runs the initializers."""

    def __init__(self, checkpoint: Checkpoint) -> None:
        self._checkpoint = checkpoint

    def assert_consumed(self) -> InitializationOnlyStatus:
        raise AssertionError("No checkpoint specified (save_path=None); nothing is being restored.")

    assert_existing_objects_matched = assert_consumed
    assert_nontrivial_match = assert_consumed

    def expect_partial(self) -> InitializationOnlyStatus:
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Nothing to restore."""

    def initialize_or_restore(self, session: Any = None) -> None:
        sess = _session(session)
        graph = _ObjectGraph(self._checkpoint)
        if not _executing_eagerly():  # (eager variables are initialized when created)
            for v in graph.variables.values():
                sess.run(v.initializer)
        self._checkpoint._ensure_counter(sess)


class CheckpointLoadStatus:
    """What Checkpoint.restore found: assert_* check the match between the checkpoint's keys
    and the Python objects' variables; run_restore_ops assigns the values."""

    def __init__(self, checkpoint: Checkpoint, save_path: str, reader: Any) -> None:
        self._checkpoint = checkpoint
        self._save_path = save_path
        self._reader = reader
        self._keys = {k for k in reader.keys() if k != OBJECT_GRAPH_KEY}
        self._restored: set[str] = set()  # keys assigned so far

    def _match(self) -> tuple[dict[str, Variable], set[str], dict[str, Variable]]:
        variables = _ObjectGraph(self._checkpoint).variables
        if self._checkpoint._save_counter is None and "save_counter/" + _ATTR in self._keys:
            self._checkpoint.save_counter  # noqa: B018  (created so that it restores too)
            variables = _ObjectGraph(self._checkpoint).variables
        matched = {k: v for k, v in variables.items() if k in self._keys}
        unused = self._keys - set(matched)
        missing = {k: v for k, v in variables.items() if k not in self._keys}
        return matched, unused, missing

    def assert_consumed(self) -> CheckpointLoadStatus:
        """Every value in the checkpoint has a Python object, and every object's variable a
        value.

        Raises:
            AssertionError: naming the unmatched keys or variables.
        """
        _, unused, missing = self._match()
        if unused:
            raise AssertionError(
                f"Unresolved values in checkpoint {self._save_path}: {sorted(unused)} (no "
                "Python object at these paths)."
            )
        if missing:
            raise AssertionError(
                f"Variables not in checkpoint {self._save_path}: "
                f"{sorted(v.op.name for v in missing.values())} (keys {sorted(missing)})."
            )
        return self

    def assert_existing_objects_matched(self) -> CheckpointLoadStatus:
        """Every Python object's variable has a value in the checkpoint (extra values allowed).

        Raises:
            AssertionError: naming the variables without a value.
        """
        _, _, missing = self._match()
        if missing:
            raise AssertionError(
                f"Variables not in checkpoint {self._save_path}: "
                f"{sorted(v.op.name for v in missing.values())} (keys {sorted(missing)})."
            )
        return self

    def assert_nontrivial_match(self) -> CheckpointLoadStatus:
        """At least one value besides the save counter matched.

        Raises:
            AssertionError: nothing matched.
        """
        matched, _, _ = self._match()
        if not [k for k in matched if not k.startswith("save_counter/")]:
            raise AssertionError(f"Nothing in checkpoint {self._save_path} matched the objects.")
        return self

    def expect_partial(self) -> CheckpointLoadStatus:
        """Unmatched values are expected (TF silences its warnings; nothing to do here)."""
        return self

    def run_restore_ops(self, session: Any = None) -> None:
        """Assigns every matched value, all or nothing (dtypes and shapes checked first).

        Raises:
            tf.errors.InvalidArgumentError: a value's dtype or shape differs from its
                variable's (names the key and both).
        """
        sess = _session(session)
        matched, _, _ = self._match()
        for key, v in matched.items():
            dtype, shape = self._reader.dtype_and_shape(key)
            if dtype != v.dtype.np or not v.shape.is_compatible_with(shape):
                raise errors.InvalidArgumentError(
                    None,
                    None,
                    f"Restoring '{key}' from checkpoint {self._save_path}: the checkpoint "
                    f"holds {np.dtype(dtype).name} {list(shape)}, the variable "
                    f"'{v.op.name}' is {v.dtype.name} {v.shape}.",
                )
        values = self._reader.read_many(list(matched))
        for key, v in matched.items():
            _cell(sess, v).value = np.require(values[key], requirements=["C", "W"])
        self._restored = set(matched)

    def initialize_or_restore(self, session: Any = None) -> None:
        """Restores the matched variables and initializes the others."""
        sess = _session(session)
        _, _, missing = self._match()
        if not _executing_eagerly():  # (eager variables are initialized when created)
            for v in missing.values():
                sess.run(v.initializer)
        self.run_restore_ops(sess)


def restore_deferred(graph: Any) -> None:
    """Eager mode: assigns the checkpoint values of variables created since an eager
    restore() (optimizer slots), once each; called by Optimizer after it creates slots."""
    pending = graph._deferred_restores
    for status in list(pending):
        matched, unused, _ = status._match()
        new = {k: v for k, v in matched.items() if k not in status._restored}
        if new:
            sess = _session(None)
            values = status._reader.read_many(list(new))
            for key, v in new.items():
                dtype, shape = status._reader.dtype_and_shape(key)
                if dtype != v.dtype.np or not v.shape.is_compatible_with(shape):
                    continue  # (a mismatch is reported by assert_consumed, not here)
                _cell(sess, v).value = np.require(values[key], requirements=["C", "W"])
                status._restored.add(key)
        if not unused:
            pending.remove(status)


class CheckpointManager:
    """Numbered saves of a Checkpoint in one directory, keeping the newest `max_to_keep`.

    Args:
        checkpoint: the tf.train.Checkpoint to save.
        directory: where the checkpoints and the `checkpoint` state file go.
        max_to_keep: how many to keep (None: all).
        keep_checkpoint_every_n_hours: also keep one checkpoint per this many hours.
        checkpoint_name: the file prefix (default "ckpt": `<directory>/ckpt-<n>`).

    Checkpoints listed by an existing state file in `directory` are picked up (and count
    towards max_to_keep), as TF.

    Example:
        >>> w = tf.Variable([1.0, 2.0], name="w")
        >>> ckpt = tf.train.Checkpoint(w=w)
        >>> manager = tf.train.CheckpointManager(ckpt, "run", max_to_keep=3)
        >>> sess = tf.Session()
        >>> sess.run(tf.global_variables_initializer())
        >>> manager.save(session=sess)
        'run/ckpt-1'
        >>> _ = sess.run(w.assign([0.0, 0.0]))
        >>> ckpt.restore(manager.latest_checkpoint).run_restore_ops(sess)
        >>> sess.run(w)
        array([1., 2.], dtype=float32)
    """

    def __init__(
        self,
        checkpoint: Checkpoint,
        directory: str,
        max_to_keep: int | None,
        keep_checkpoint_every_n_hours: float | None = None,
        checkpoint_name: str = "ckpt",
    ) -> None:
        if not isinstance(checkpoint, Checkpoint):
            raise TypeError(
                f"CheckpointManager: checkpoint must be a tf.train.Checkpoint; got {checkpoint!r}."
            )
        if max_to_keep is not None and max_to_keep <= 0:
            raise ValueError(
                f"Expected a positive integer or None for `max_to_keep`, got {max_to_keep}."
            )
        self._checkpoint = checkpoint
        self._directory = os.fspath(directory)
        self._max_to_keep = max_to_keep
        self._keep_hours = keep_checkpoint_every_n_hours
        self._prefix = os.path.join(self._directory, checkpoint_name)
        self._maybe_delete: dict[str, float] = {}
        self._latest: str | None = None
        self._last_preserved = time.time()
        state = get_checkpoint_state(self._directory)
        if state is not None:
            paths = list(state.all_model_checkpoint_paths)
            times = list(getattr(state, "all_model_checkpoint_timestamps", []) or [])
            now = time.time()
            for i, p in enumerate(paths):
                self._maybe_delete[p] = times[i] if i < len(times) else now
            self._latest = state.model_checkpoint_path

    @property
    def directory(self) -> str:
        return self._directory

    @property
    def checkpoints(self) -> list[str]:
        """The managed checkpoints' prefixes, oldest first."""
        return list(self._maybe_delete)

    @property
    def latest_checkpoint(self) -> str | None:
        return self._latest

    def _record_state(self) -> None:
        paths = list(self._maybe_delete)
        update_checkpoint_state(
            self._directory,
            self._latest,
            paths,
            None,
            [self._maybe_delete[p] for p in paths],
            self._last_preserved,
            True,
        )

    def _sweep(self) -> None:
        if not self._max_to_keep:
            return
        while len(self._maybe_delete) > self._max_to_keep:
            path, stamp = next(iter(self._maybe_delete.items()))
            del self._maybe_delete[path]
            if self._keep_hours and stamp - self._keep_hours * 3600 >= self._last_preserved:
                self._last_preserved = stamp
                continue
            delete_checkpoint(path)

    def save(self, checkpoint_number: Any = None, session: Any = None) -> str:
        """Saves `<directory>/<checkpoint_name>-<n>` (n: checkpoint_number, an int or a
        global-step Variable, else the checkpoint's save_counter after adding one), updates
        the state file and deletes the oldest beyond max_to_keep.

        Returns:
            The new checkpoint's prefix.
        """
        sess = _session(session)
        cell = self._checkpoint._ensure_counter(sess)
        cell.value = np.array(cell.value + 1, dtype=np.int64)
        if checkpoint_number is None:
            number = int(cell.value)
        elif isinstance(checkpoint_number, (int, np.integer)):
            number = int(checkpoint_number)
        else:
            number = int(sess.run(checkpoint_number))
        path = self._checkpoint.write(f"{self._prefix}-{number}", sess)
        self._maybe_delete.pop(path, None)
        self._maybe_delete[path] = time.time()
        self._latest = path
        self._record_state()
        self._sweep()
        self._record_state()
        return path


__all__ = ["Checkpoint", "CheckpointManager"]
