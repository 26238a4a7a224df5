"""TF1's readers for queue input pipelines: tf.ReaderBase and tf.WholeFileReader,
tf.TextLineReader, tf.TFRecordReader, tf.FixedLengthRecordReader, tf.IdentityReader.

A reader is a session resource: it takes file names (work units) from a string queue (e.g.
tf.train.string_input_producer's) one at a time and produces (key, value) records from each;
once the queue is closed and empty, a read raises OutOfRangeError (which ends queue runners
and `coord.should_stop()` loops). This module is imported on first use of a reader.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor, get_default_graph
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.data_flow_ops import QueueBase, QueueDequeue
from flowzero.runtime.state import RunContext

_reader_ids = itertools.count()


def _records(kind: str, attrs: dict[str, Any], work: str) -> Iterator[tuple[str, bytes]]:
    """(key, value) records of one work unit, TF's keys for each reader kind."""
    from flowzero.data import readers
    from flowzero.platform import tf_record

    if kind == "IdentityReader":
        yield work, work.encode()
    elif kind == "WholeFileReader":
        with tf_record.open_stream(work, "") as f:
            yield work, f.read()
    elif kind == "TextLineReader":
        for n, line in enumerate(readers._lines(work, ""), start=1):
            if n > attrs["skip_header_lines"]:
                yield f"{work}:{n}", line
    elif kind == "TFRecordReader":
        offset = 0
        for rec in tf_record.records(work, attrs["compression"]):
            yield f"{work}:{offset}", rec
            offset += 16 + len(rec)
    else:  # FixedLengthRecordReader
        node = dict(attrs, compression="")
        for n, rec in enumerate(readers._fixed(work, node)):
            yield f"{work}:{n}", rec


class _Reader:
    """The run-time state of one reader in one session."""

    def __init__(self, kind: str, attrs: dict[str, Any]) -> None:
        self.kind, self.attrs = kind, attrs
        self.current: Iterator[tuple[str, bytes]] | None = None
        self.produced = 0
        self.completed = 0
        self.lock = threading.Lock()

    def next(self, ctx: RunContext, queue_attrs: dict[str, Any]) -> tuple[str, bytes]:
        while True:
            if self.current is None:
                work = QueueDequeue(queue_attrs)._queue(ctx).dequeue(None, up_to=False)[0]
                w = work[()] if isinstance(work, np.ndarray) else work
                name = w.decode() if isinstance(w, bytes) else str(w)
                self.current = _records(self.kind, self.attrs, name)
            rec = next(self.current, None)
            if rec is not None:
                self.produced += 1
                return rec
            self.current = None
            self.completed += 1


def _s(x: Any) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = x.encode() if isinstance(x, str) else x
    return out


class _ReaderOp(OpDef):
    needs_context = True
    stateful = True
    differentiable = False

    def _reader(self, ctx: RunContext) -> _Reader:
        a = self.attrs
        return ctx.resource(a["reader_key"], lambda: _Reader(a["kind"], a["options"]))


@register_op("ReaderReadV2")
class ReaderRead(_ReaderOp):
    """The next (key, value) record; takes a new work unit from the queue when needed."""

    def infer(self) -> list[TensorSpec]:
        return [spec([], dtypes.string), spec([], dtypes.string)]

    def compute(self, ctx: RunContext) -> list[np.ndarray]:
        r = self._reader(ctx)
        with r.lock:
            key, value = r.next(ctx, self.attrs["queue"])
        return [_s(key), _s(value)]


@register_op("ReaderReadUpToV2")
class ReaderReadUpTo(_ReaderOp):
    """Up to num_records (key, value) records (fewer once the queue is closed and empty)."""

    def infer(self, n: Tensor) -> list[TensorSpec]:
        return [spec([None], dtypes.string), spec([None], dtypes.string)]

    def compute(self, ctx: RunContext, n: np.ndarray) -> list[np.ndarray]:
        want = int(n)
        if want <= 0:
            raise self.error(f"num_records must be positive; got {want}.")
        r = self._reader(ctx)
        keys: list[Any] = []
        values: list[Any] = []
        with r.lock:
            while len(keys) < want:
                try:
                    k, v = r.next(ctx, self.attrs["queue"])
                except errors.OutOfRangeError:
                    if keys:
                        break
                    raise
                keys.append(k.encode())
                values.append(v)
        ko, vo = np.empty(len(keys), object), np.empty(len(values), object)
        ko[:], vo[:] = keys, values
        return [ko, vo]


@register_op("ReaderNumRecordsProducedV2")
class ReaderNumRecordsProduced(_ReaderOp):
    """How many records this reader has produced."""

    def infer(self) -> TensorSpec:
        return spec([], dtypes.int64)

    def compute(self, ctx: RunContext) -> np.ndarray:
        return np.int64(self._reader(ctx).produced)


@register_op("ReaderNumWorkUnitsCompletedV2")
class ReaderNumWorkUnitsCompleted(_ReaderOp):
    """How many work units (files) this reader has finished."""

    def infer(self) -> TensorSpec:
        return spec([], dtypes.int64)

    def compute(self, ctx: RunContext) -> np.ndarray:
        return np.int64(self._reader(ctx).completed)


@register_op("ReaderResetV2")
class ReaderReset(_ReaderOp):
    """Back to the initial state: no current work unit, counts zero."""

    def infer(self) -> list[TensorSpec]:
        return []

    def compute(self, ctx: RunContext) -> None:
        r = self._reader(ctx)
        with r.lock:
            r.current, r.produced, r.completed = None, 0, 0


# -- the Python API ------------------------------------------------------------------------------
def _queue_attrs(queue: Any, what: str) -> dict[str, Any]:
    if not isinstance(queue, QueueBase):
        raise TypeError(
            f"{what}: queue must be a queue of file names (e.g. tf.train.string_input_producer"
            f"'s); got {queue!r}."
        )
    if not queue.dtypes or queue.dtypes[0] is not dtypes.string:
        raise TypeError(f"{what}: the queue must hold strings; it holds {queue.dtypes}.")
    return queue._attrs


class ReaderBase:
    """A reader of records from the work units (file names) of a queue: `read(queue)` ->
    (key, value); also read_up_to, num_records_produced, num_work_units_completed, reset."""

    _kind = ""

    def __init__(self, options: dict[str, Any] | None = None, name: str | None = None) -> None:
        g = get_default_graph()
        # (TF's default name: the handle op's type, e.g. `TextLineReaderV2`)
        with g.name_scope(name or f"{self._kind}V2") as scope:
            self._name = scope.rstrip("/")
        self._attrs: dict[str, Any] = {
            "kind": self._kind,
            "reader_key": f"reader_{next(_reader_ids)}_{self._name}",
            "reader_name": self._name,
            "options": options or {},
        }

    @property
    def reader_ref(self) -> str:
        return self._attrs["reader_key"]

    @property
    def supports_serialize(self) -> bool:
        return False

    def _op(self, cls: type[OpDef], inputs: list[Any], name: Any, queue: Any = None) -> Any:
        attrs = dict(self._attrs)
        if queue is not None:
            attrs["queue"] = _queue_attrs(queue, f"{self._kind}.read")
        return apply_op(cls, inputs, attrs, name=name or cls.type)

    def read(self, queue: Any, name: str | None = None) -> tuple[Tensor, Tensor]:
        """The next record: (key, value) scalar strings."""
        key, value = self._op(ReaderRead, [], name, queue)
        return key, value

    def read_up_to(
        self, queue: Any, num_records: Any, name: str | None = None
    ) -> tuple[Tensor, Tensor]:
        """Up to num_records records: (keys, values) string vectors."""
        n = convert_to_tensor(num_records, dtype=dtypes.int64)
        keys, values = self._op(ReaderReadUpTo, [n], name, queue)
        return keys, values

    def num_records_produced(self, name: str | None = None) -> Tensor:
        return self._op(ReaderNumRecordsProduced, [], name)

    def num_work_units_completed(self, name: str | None = None) -> Tensor:
        return self._op(ReaderNumWorkUnitsCompleted, [], name)

    def reset(self, name: str | None = None) -> Any:
        return self._op(ReaderReset, [], name)


class WholeFileReader(ReaderBase):
    """Each file is one record: key = its name, value = its contents."""

    _kind = "WholeFileReader"

    def __init__(self, name: str | None = None) -> None:
        super().__init__({}, name)


class IdentityReader(ReaderBase):
    """Each work unit is one record: key = value = the work unit."""

    _kind = "IdentityReader"

    def __init__(self, name: str | None = None) -> None:
        super().__init__({}, name)


class TextLineReader(ReaderBase):
    """The lines of text files (without their line endings), skipping the first
    `skip_header_lines` of each file; key = "file:line_number"."""

    _kind = "TextLineReader"

    def __init__(self, skip_header_lines: int | None = None, name: str | None = None) -> None:
        n = int(skip_header_lines or 0)
        if n < 0:
            raise ValueError(f"TextLineReader: skip_header_lines must be >= 0; got {n}.")
        super().__init__({"skip_header_lines": n}, name)


class TFRecordReader(ReaderBase):
    """The records of TFRecord files; key = "file:offset"."""

    _kind = "TFRecordReader"

    def __init__(self, name: str | None = None, options: Any = None) -> None:
        from flowzero.platform.tf_record import compression_string

        super().__init__({"compression": compression_string(options)}, name)


class FixedLengthRecordReader(ReaderBase):
    """Records of record_bytes bytes from binary files (after header_bytes, before
    footer_bytes); key = "file:record_index"."""

    _kind = "FixedLengthRecordReader"

    def __init__(
        self,
        record_bytes: int,
        header_bytes: int | None = None,
        footer_bytes: int | None = None,
        hop_bytes: int | None = None,
        name: str | None = None,
        encoding: Any = None,
    ) -> None:
        if hop_bytes:
            raise NotImplementedError("FixedLengthRecordReader: hop_bytes is not supported.")
        if encoding:
            raise NotImplementedError("FixedLengthRecordReader: encoding is not supported.")
        if int(record_bytes) <= 0:
            raise ValueError(
                f"FixedLengthRecordReader: record_bytes must be > 0; got {record_bytes}."
            )
        opts = {
            "record_bytes": int(record_bytes),
            "header_bytes": int(header_bytes or 0),
            "footer_bytes": int(footer_bytes or 0),
        }
        super().__init__(opts, name)


__all__ = [
    "FixedLengthRecordReader",
    "IdentityReader",
    "ReaderBase",
    "TFRecordReader",
    "TextLineReader",
    "WholeFileReader",
]
