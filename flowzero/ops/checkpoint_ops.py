"""TensorFlow's checkpoint ops as graph ops: SaveV2, RestoreV2, MergeV2Checkpoints, and the
shard file names of a sharded save (ShardedFilename, ShardedFilespec).

flowzero's own tf.train.Saver saves and restores without graph ops; these exist so that a
graph written by TensorFlow runs its own saver subgraph after import, as in TF:
`sess.run(saver_def.restore_op_name, {saver_def.filename_tensor_name: path})` restores the
variables (RestoreV2 -> Assign / AssignVariableOp -> `save/restore_all`), and fetching
`saver_def.save_tensor_name` writes a V2 checkpoint (SaveV2; a `Saver(sharded=True)` graph
writes each shard under its ShardedFilename, then MergeV2Checkpoints joins them). The files
are TensorFlow's tensor bundle (flowzero/train/tensor_bundle.py), CRC-32C checked on read.

Not implemented (UnimplementedError naming the op): saving a slice of a tensor (a
partitioned variable's `shape_and_slices`); restoring one is supported.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Operation, Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec

# The checkpoint ops are raw ops (tf.raw_ops in TF), reached through the importer.
__all__: list[str] = []


def _text(x: Any) -> str:
    return x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x)


def _strings(od: OpDef, what: str, a: np.ndarray, n: int | None = None) -> list[str]:
    flat = np.asarray(a, dtype=object).reshape(-1)
    if np.asarray(a).ndim != 1 or (n is not None and flat.size != n):
        want = "a vector" if n is None else f"a vector of {n}"
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{od.type} '{od.node_name}': {what} must be {want} strings; got shape "
            f"{list(np.shape(a))}.",
        )
    return [_text(x) for x in flat]


def _prefix(od: OpDef, a: np.ndarray, what: str = "prefix") -> str:
    if np.ndim(a) != 0:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{od.type} '{od.node_name}': {what} must be a scalar string; got shape "
            f"{list(np.shape(a))}.",
        )
    name = _text(np.asarray(a, dtype=object).item())
    if not name:
        raise errors.InvalidArgumentError(
            None, None, f"{od.type} '{od.node_name}': {what} is an empty string."
        )
    return name


def _check_string_input(od: OpDef, t: Tensor, what: str, rank: int) -> None:
    if t.dtype is not dtypes.string:
        raise TypeError(
            f"{od.type} '{od.node_name}': {what} must be a string tensor; got {t.dtype.name} "
            f"tensor '{t.name}'."
        )
    if t.shape.ndims not in (None, rank):
        raise ValueError(
            f"{od.type} '{od.node_name}': {what} must have rank {rank}; got shape {t.shape} "
            f"('{t.name}')."
        )


def _parse_slice(od: OpDef, spec_text: str, name: str) -> tuple[list[int], list[slice]] | None:
    """TF's shape_and_slice text: "" (the whole tensor) or "d0 d1 ... s0:s1:..." with each
    slice "start,length" or "-" (all of that dimension)."""
    if not spec_text:
        return None
    parts = spec_text.split(" ")
    try:
        dims = [int(p) for p in parts[:-1]]
        index = []
        pieces = parts[-1].split(":")
        if len(pieces) != len(dims):
            raise ValueError
        for d, piece in zip(dims, pieces):
            if piece == "-":
                index.append(slice(0, d))
            else:
                start, length = (int(v) for v in piece.split(","))
                if start < 0 or length < 0 or start + length > d:
                    raise ValueError
                index.append(slice(start, start + length))
    except ValueError:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{od.type} '{od.node_name}': bad shape_and_slice '{spec_text}' for tensor "
            f"'{name}' (expected \"dims... start,length:...\").",
        ) from None
    return dims, index


@register_op("SaveV2")
class SaveV2(OpDef):
    """Writes `tensors` under `tensor_names` as the V2 checkpoint `prefix` (tensor bundle)."""

    differentiable = False
    stateful = True

    def infer(self, prefix: Tensor, names: Tensor, slices: Tensor, *tensors: Tensor) -> list:
        _check_string_input(self, prefix, "prefix", 0)
        _check_string_input(self, names, "tensor_names", 1)
        _check_string_input(self, slices, "shape_and_slices", 1)
        for t in (names, slices):
            n = t.shape.known[0] if t.shape.known else None
            if n is not None and n != len(tensors):
                raise ValueError(
                    f"SaveV2 '{self.node_name}': {len(tensors)} tensors but {n} "
                    f"{'tensor_names' if t is names else 'shape_and_slices'}."
                )
        return []

    def compute(self, prefix: Any, names: Any, slices: Any, *tensors: Any) -> None:
        from flowzero.train import tensor_bundle

        path = _prefix(self, prefix)
        keys = _strings(self, "tensor_names", names, len(tensors))
        specs = _strings(self, "shape_and_slices", slices, len(tensors))
        for k, s in zip(keys, specs):
            if s:
                raise errors.UnimplementedError(
                    None,
                    None,
                    f"SaveV2 '{self.node_name}': tensor '{k}' is a slice ('{s}') of a "
                    "partitioned variable; flowzero saves whole tensors only.",
                )
        if len(set(keys)) != len(keys):
            dup = sorted({k for k in keys if keys.count(k) > 1})
            raise errors.InvalidArgumentError(
                None, None, f"SaveV2 '{self.node_name}': tensor names repeat: {dup}."
            )
        tensor_bundle.write_bundle(path, dict(zip(keys, tensors)))
        return None


@register_op("RestoreV2")
class RestoreV2(OpDef):
    """The tensors `tensor_names` (or their slices) of the V2 checkpoint `prefix`, as
    `dtypes`."""

    differentiable = False
    stateful = True

    def infer(self, prefix: Tensor, names: Tensor, slices: Tensor) -> list[TensorSpec]:
        _check_string_input(self, prefix, "prefix", 0)
        _check_string_input(self, names, "tensor_names", 1)
        _check_string_input(self, slices, "shape_and_slices", 1)
        types = self.attrs.get("dtypes")
        if not types:
            raise ValueError(f"RestoreV2 '{self.node_name}': attr dtypes must list the dtypes.")
        n = names.shape.known[0] if names.shape.known else None
        if n is not None and n != len(types):
            raise ValueError(
                f"RestoreV2 '{self.node_name}': {n} tensor_names but {len(types)} dtypes."
            )
        return [spec(None, d) for d in types]

    def compute(self, prefix: Any, names: Any, slices: Any) -> list[np.ndarray]:
        from flowzero.train import tensor_bundle

        types = [dtypes.as_dtype(d) for d in self.attrs["dtypes"]]
        path = _prefix(self, prefix)
        keys = _strings(self, "tensor_names", names, len(types))
        specs = _strings(self, "shape_and_slices", slices, len(types))
        with tensor_bundle.BundleReader(path) as reader:
            for k in keys:
                if k not in reader:
                    raise errors.NotFoundError(
                        None,
                        None,
                        f"RestoreV2 '{self.node_name}': Key {k} not found in checkpoint {path}.",
                    )
            whole = [k for k, s in zip(keys, specs) if not s]
            values = reader.read_many(sorted(set(whole)))
            out = []
            for k, s, dt in zip(keys, specs, types):
                v = values[k] if not s else reader.read(k)
                if dt is dtypes.string:
                    ok = v.dtype == object
                else:
                    ok = v.dtype == dt.np
                if not ok:
                    raise errors.InvalidArgumentError(
                        None,
                        None,
                        f"RestoreV2 '{self.node_name}': expected to restore a tensor of type "
                        f"{dt.name}, got a tensor of type {v.dtype}: tensor_name = {k}.",
                    )
                parsed = _parse_slice(self, s, k)
                if parsed is not None:
                    dims, index = parsed
                    if list(v.shape) != dims:
                        raise errors.InvalidArgumentError(
                            None,
                            None,
                            f"RestoreV2 '{self.node_name}': tensor {k} has shape "
                            f"{list(v.shape)} in the checkpoint; the slice spec says {dims}.",
                        )
                    v = np.ascontiguousarray(v[tuple(index)])
                out.append(v)
        return out


@register_op("MergeV2Checkpoints")
class MergeV2Checkpoints(OpDef):
    """Merges the V2 checkpoints `checkpoint_prefixes` (a sharded save's parts) into one,
    `destination_prefix`, and deletes the parts (and, with delete_old_dirs, their emptied
    directories)."""

    differentiable = False
    stateful = True

    def infer(self, prefixes: Tensor, destination: Tensor) -> list:
        _check_string_input(self, prefixes, "checkpoint_prefixes", 1)
        _check_string_input(self, destination, "destination_prefix", 0)
        return []

    def compute(self, prefixes: Any, destination: Any) -> None:
        from flowzero.train import tensor_bundle

        dest = _prefix(self, destination, "destination_prefix")
        parts = _strings(self, "checkpoint_prefixes", prefixes)
        try:
            tensor_bundle.merge_bundles(
                parts, dest, delete_old_dirs=bool(self.attrs.get("delete_old_dirs", True))
            )
        except errors.OpError as e:
            raise type(e)(
                None, None, f"MergeV2Checkpoints '{self.node_name}': {e.message}"
            ) from None


# -- the file names of a sharded save -------------------------------------------------------------
def _scalar_int(od: OpDef, a: np.ndarray, what: str) -> int:
    if np.ndim(a) != 0:
        raise errors.InvalidArgumentError(
            None,
            None,
            f"{od.type} '{od.node_name}': {what} must be a scalar; got shape {list(np.shape(a))}.",
        )
    return int(a)


def _check_int_scalar(od: OpDef, t: Tensor, what: str) -> None:
    if t.dtype is not dtypes.int32:
        raise TypeError(
            f"{od.type} '{od.node_name}': {what} must be an int32 tensor; got {t.dtype.name} "
            f"tensor '{t.name}'."
        )
    if t.shape.ndims not in (None, 0):
        raise ValueError(
            f"{od.type} '{od.node_name}': {what} must be a scalar; got shape {t.shape}."
        )


@register_op("ShardedFilename")
class ShardedFilename(OpDef):
    """y = "<basename>-<shard:05d>-of-<num_shards:05d>" (the prefix of one shard of a sharded
    save)."""

    differentiable = False

    def infer(self, basename: Tensor, shard: Tensor, num_shards: Tensor) -> TensorSpec:
        _check_string_input(self, basename, "basename", 0)
        _check_int_scalar(self, shard, "shard")
        _check_int_scalar(self, num_shards, "num_shards")
        return spec([], dtypes.string)

    def compute(self, basename: Any, shard: Any, num_shards: Any) -> np.ndarray:
        base = _prefix(self, basename, "basename")
        k, n = _scalar_int(self, shard, "shard"), _scalar_int(self, num_shards, "num_shards")
        return np.array(f"{base}-{k:05d}-of-{n:05d}".encode(), dtype=object)


@register_op("ShardedFilespec")
class ShardedFilespec(OpDef):
    """y = "<basename>-?????-of-<num_shards:05d>" (a glob of every shard's prefix)."""

    differentiable = False

    def infer(self, basename: Tensor, num_shards: Tensor) -> TensorSpec:
        _check_string_input(self, basename, "basename", 0)
        _check_int_scalar(self, num_shards, "num_shards")
        return spec([], dtypes.string)

    def compute(self, basename: Any, num_shards: Any) -> np.ndarray:
        base = _prefix(self, basename, "basename")
        n = _scalar_int(self, num_shards, "num_shards")
        return np.array(f"{base}-?????-of-{n:05d}".encode(), dtype=object)


def _str(x: Any) -> Tensor:
    # Tensors as they are (infer names a wrong dtype); Python strings as string tensors.
    return x if isinstance(x, Tensor) else convert_to_tensor(x, dtype=dtypes.string)


def save_v2(
    prefix: Any,
    tensor_names: Any,
    shape_and_slices: Any,
    tensors: list[Any],
    name: str | None = None,
) -> Operation:
    """Writes `tensors` as the V2 checkpoint `prefix` (TF's raw op SaveV2). Returns the op."""
    ts = [convert_to_tensor(t) for t in tensors]
    ins = [
        _str(prefix),
        _str(tensor_names),
        _str(shape_and_slices),
    ]
    return apply_op(SaveV2, [*ins, *ts], {"dtypes": [t.dtype for t in ts]}, name=name or "SaveV2")


def restore_v2(
    prefix: Any,
    tensor_names: Any,
    shape_and_slices: Any,
    dtypes_: list[Any],
    name: str | None = None,
) -> list[Tensor]:
    """The tensors `tensor_names` of the V2 checkpoint `prefix` (TF's raw op RestoreV2)."""
    ins = [
        _str(prefix),
        _str(tensor_names),
        _str(shape_and_slices),
    ]
    types = [dtypes.as_dtype(d) for d in dtypes_]
    outs = apply_op(RestoreV2, ins, {"dtypes": types}, name=name or "RestoreV2")
    return list(outs) if isinstance(outs, (list, tuple)) else [outs]


def merge_v2_checkpoints(
    checkpoint_prefixes: Any,
    destination_prefix: Any,
    delete_old_dirs: bool = True,
    name: str | None = None,
) -> Operation:
    """Merges V2 checkpoints into `destination_prefix` (TF's raw op MergeV2Checkpoints)."""
    ins = [
        _str(checkpoint_prefixes),
        _str(destination_prefix),
    ]
    return apply_op(
        MergeV2Checkpoints,
        ins,
        {"delete_old_dirs": bool(delete_old_dirs)},
        name=name or "MergeV2Checkpoints",
    )
