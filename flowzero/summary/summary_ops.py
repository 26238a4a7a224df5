"""Summary ops: each outputs a scalar string tensor holding a serialized `Summary` protobuf.

The protos are the `tensorboard` package's own (`tensorboard.compat.proto.summary_pb2`),
imported the first time a summary op runs, so that `import flowzero` stays light.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

import numpy as np

from flowzero.framework import dtypes, errors
from flowzero.framework.graph import (
    GraphKeys,
    Tensor,
    apply_op,
    convert_to_tensor,
    get_default_graph,
    graph_of,
)
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.summary.png import encode_png

_log = logging.getLogger(__name__)
_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w.]")
_DBL_MAX = sys.float_info.max


class SummaryTypeError(errors.InvalidArgumentError, TypeError):
    """A summary op got a tensor of the wrong dtype (both InvalidArgumentError and TypeError,
    as TF raises TypeError for dtype mismatches at build time)."""


def summary_pb2() -> Any:
    """tensorboard's compiled `summary_pb2` module (imported on first use)."""
    try:
        from tensorboard.compat.proto import summary_pb2 as pb
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            "flowzero summaries need the `tensorboard` package: "
            "pip install 'flowzero[tensorboard]' (or: pip install tensorboard tensorboardX)."
        ) from exc
    return pb


def _string_scalar(data: bytes) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = data
    return out


def _check_dtype(op: OpDef, t: Tensor, what: str, allowed: str, words: str) -> None:
    if t.dtype.np.kind not in allowed:
        raise op.error(
            f"{what} must be {words}; got {t.dtype.name}. Use tf.cast.", cls=SummaryTypeError
        )


# -- ScalarSummary -----------------------------------------------------------------------------
@register_op("ScalarSummary")
class ScalarSummary(OpDef):
    """y = Summary{value: [{tag, simple_value: float(x)}]} for a scalar x."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        _check_dtype(self, x, "tensor", "fiu", "a real number (float or int)")
        if x.shape.ndims not in (None, 0):
            raise self._not_scalar(x.shape)
        return spec([], dtypes.string)

    def _not_scalar(self, shape: Any) -> errors.OpError:
        return self.error(
            f"tensor must be a scalar (shape []) for tag '{self.attrs['tag']}'; got shape "
            f"{shape}. Reduce it first (e.g. tf.reduce_mean), or use tf.summary.histogram."
        )

    def compute(self, x: np.ndarray) -> np.ndarray:
        if np.ndim(x) != 0:
            raise self._not_scalar(tuple(np.shape(x)))
        pb = summary_pb2()
        s = pb.Summary(value=[pb.Summary.Value(tag=self.attrs["tag"], simple_value=float(x))])
        return _string_scalar(s.SerializeToString())


# -- HistogramSummary --------------------------------------------------------------------------
@lru_cache(maxsize=1)
def default_bucket_limits() -> np.ndarray:
    """TF's default histogram bucket limits: ±1e-12 growing by 10% to ±1e20, ±DBL_MAX, 0.

    Computed by repeated multiplication, exactly as tensorflow/core/lib/histogram/histogram.cc.
    """
    pos = []
    v = 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(_DBL_MAX)
    limits = np.array([-x for x in reversed(pos)] + [0.0] + pos, dtype=np.float64)
    limits.flags.writeable = False
    return limits


def histogram_proto_fields(values: np.ndarray) -> dict[str, Any]:
    """The fields of TF's HistogramProto for `values` (TF's default buckets, empty runs merged).

    A value v counts in the first bucket whose limit is > v (TF's upper_bound); each run of
    empty buckets is written as one bucket with the run's last limit, as TF's EncodeToProto.
    """
    v = np.asarray(values, dtype=np.float64).ravel()
    limits = default_bucket_limits()
    idx = np.minimum(np.searchsorted(limits, v, side="right"), len(limits) - 1)
    counts = np.bincount(idx, minlength=len(limits)).astype(np.float64)
    nonempty = counts > 0
    keep = nonempty | np.append(nonempty[1:], True)
    return {
        "min": float(v.min()) if v.size else _DBL_MAX,
        "max": float(v.max()) if v.size else -_DBL_MAX,
        "num": float(v.size),
        "sum": float(v.sum()),
        "sum_squares": float(np.dot(v, v)),
        "bucket_limit": limits[keep].tolist(),
        "bucket": counts[keep].tolist(),
    }


@register_op("HistogramSummary")
class HistogramSummary(OpDef):
    """y = Summary{value: [{tag, histo: HistogramProto of every element of x}]}."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        _check_dtype(self, x, "values", "fiu", "a real number (float or int)")
        return spec([], dtypes.string)

    def compute(self, x: np.ndarray) -> np.ndarray:
        tag = self.attrs["tag"]
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            raise self.error(
                f"Nan in summary histogram for: {tag} (values contain NaN or "
                "Inf). Check the tensor for diverging values."
            )
        pb = summary_pb2()
        histo = pb.HistogramProto(**histogram_proto_fields(x))
        s = pb.Summary(value=[pb.Summary.Value(tag=tag, histo=histo)])
        return _string_scalar(s.SerializeToString())


# -- ImageSummary ------------------------------------------------------------------------------
def image_to_uint8(image: np.ndarray, bad_color: np.ndarray) -> np.ndarray:
    """One (h, w, c) image to uint8 by TF's ImageSummary rule.

    uint8 is kept as is. Floats are scaled per image: all >= 0 -> x * 255 / max (so [0, 1]
    maps to [0, 255]); any < 0 -> x * 127 / max|x| + 128. Pixels with a non-finite channel
    become `bad_color`; the result is truncated to uint8 (TF's cast).
    """
    if image.dtype == np.uint8:
        return image
    work = image.astype(np.float32) if image.dtype.itemsize < 4 else image
    finite = np.isfinite(work).all(axis=-1)
    good = work[finite]
    lo = float(good.min()) if good.size else np.inf
    hi = float(good.max()) if good.size else -np.inf
    if lo < 0:
        m = max(abs(lo), abs(hi))
        scale, offset = (0.0 if m < 1e-6 else 127.0 / m), 128.0
    else:
        scale, offset = (0.0 if hi < 1e-6 else 255.0 / hi), 0.0
    out = np.empty(work.shape, dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        scaled = work * work.dtype.type(scale) + work.dtype.type(offset)
    out[finite] = scaled[finite].astype(np.uint8)
    out[~finite] = bad_color[: work.shape[-1]]
    return out


@register_op("ImageSummary")
class ImageSummary(OpDef):
    """y = Summary of PNG images: the first `max_images` of a [batch, h, w, 1|3|4] tensor."""

    differentiable = False

    def _shape_error(self, shape: Any) -> errors.OpError:
        return self.error(
            f"tensor must be 4-D [batch_size, height, width, channels] with 1, 3 or 4 channels "
            f"for tag '{self.attrs['tag']}'; got shape {shape}."
        )

    def infer(self, x: Tensor) -> TensorSpec:
        if x.dtype is not dtypes.uint8 and not x.dtype.is_floating:
            raise self.error(
                f"tensor must be uint8 or float; got {x.dtype.name}. Use tf.cast.",
                cls=SummaryTypeError,
            )
        dims = x.shape.known
        if dims is not None and (len(dims) != 4 or dims[3] not in (None, 1, 3, 4)):
            raise self._shape_error(x.shape)
        return spec([], dtypes.string)

    def compute(self, x: np.ndarray) -> np.ndarray:
        if x.ndim != 4 or x.shape[3] not in (1, 3, 4):
            raise self._shape_error(x.shape)
        pb = summary_pb2()
        tag, max_images = self.attrs["tag"], self.attrs["max_images"]
        bad = np.asarray(self.attrs["bad_color"], dtype=np.uint8)
        s = pb.Summary()
        for i in range(min(x.shape[0], max_images)):
            img = image_to_uint8(x[i], bad)
            h, w, c = img.shape
            # TF's tag depends on the number requested, not the number produced.
            s.value.add(
                tag=f"{tag}/image/{i}" if max_images > 1 else f"{tag}/image",
                image=pb.Summary.Image(
                    height=h, width=w, colorspace=c, encoded_image_string=encode_png(img)
                ),
            )
        return _string_scalar(s.SerializeToString())


# -- MergeSummary ------------------------------------------------------------------------------
@register_op("MergeSummary")
class MergeSummary(OpDef):
    """y = one Summary holding the values of every input Summary (tags must be unique)."""

    differentiable = False

    def infer(self, *inputs: Tensor) -> TensorSpec:
        for i, t in enumerate(inputs):
            if t.dtype is not dtypes.string:
                raise self.error(
                    f"input {i} ('{t.name}') must be a string tensor of serialized "
                    f"Summary protos; got {t.dtype.name}.",
                    cls=SummaryTypeError,
                )
        return spec([], dtypes.string)

    def compute(self, *inputs: np.ndarray) -> np.ndarray:
        from google.protobuf.message import DecodeError

        pb = summary_pb2()
        merged, tags = pb.Summary(), set()
        for arr in inputs:
            for data in np.asarray(arr, dtype=object).ravel():
                part = pb.Summary()
                try:
                    part.ParseFromString(bytes(data))
                except DecodeError as exc:
                    raise self.error(f"an input is not a serialized Summary proto: {exc}.") from exc
                for value in part.value:
                    if value.tag and value.tag in tags:
                        raise self.error(
                            f"Duplicate tag {value.tag} found in summary inputs. "
                            "Give each summary a distinct name."
                        )
                    tags.add(value.tag)
                merged.value.extend(part.value)
        return _string_scalar(merged.SerializeToString())


# -- public functions (tf.summary.*) -----------------------------------------------------------
def _clean_tag(name: str | None) -> str | None:
    if name is None:
        return None
    new = _INVALID_TAG_CHARACTERS.sub("_", str(name)).lstrip("/")
    if new != name:
        _log.info("Summary name %s is illegal; using %s instead.", name, new)
    return new


@contextlib.contextmanager
def _summary_scope(name: str, family: str | None, values: list[Any]) -> Iterator[tuple[str, str]]:
    """(tag, scope) as TF's summary_op_util.summary_scope: the tag is the scoped name, with the
    family prefixed again so TensorBoard shows it in the family's tab."""
    clean = _clean_tag(name)
    if not clean:
        raise ValueError(f"A summary needs a non-empty name; got {name!r}.")
    fam = _clean_tag(family) or None
    g = graph_of(values, "summary")
    with g.name_scope(clean if fam is None else f"{fam}/{clean}") as scope:
        tag = scope.rstrip("/") if fam is None else f"{fam}/{scope.rstrip('/')}"
        yield tag, scope


def _collect(value: Tensor, collections: Any, default: list[str]) -> None:
    keys = default if collections is None else collections
    if keys:
        value.graph.add_to_collections(list(keys), value)


def _summary(
    opdef: type[OpDef],
    name: str,
    tensor: Any,
    attrs: dict[str, Any],
    collections: Any,
    family: str | None,
) -> Tensor:
    with _summary_scope(name, family, [tensor]) as (tag, scope):
        t = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
        val = apply_op(opdef, [t], {"tag": tag, **attrs}, name=scope)
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def scalar(name: str, tensor: Any, collections: Any = None, family: str | None = None) -> Tensor:
    """A summary of one real number, shown as a curve in TensorBoard's Scalars tab.

    Args:
        name: the summary's name; the tag is the name inside the current name scope
            (`train/loss` in `with tf.name_scope("train")`).
        tensor: a rank-0 float or int tensor (or Python number).
        collections: graph collections to add the op to (default `[GraphKeys.SUMMARIES]`).
        family: optional prefix for the tag and the node name (a TensorBoard tab).

    Returns:
        A scalar string tensor holding a serialized `Summary` protobuf.

    Raises:
        InvalidArgumentError: `tensor` is not a scalar (at build time when its shape is
            known, else when run); a SummaryTypeError (also a TypeError) for a non-number.

    Example:
        >>> x = tf.placeholder(tf.float32, [None])
        >>> loss_summary = tf.summary.scalar("loss", tf.reduce_mean(tf.square(x)))
        >>> sess = tf.Session()
        >>> summary = tf.Summary.FromString(sess.run(loss_summary, {x: [1.0, 2.0]}))
        >>> print(summary.value[0].tag, summary.value[0].simple_value)
        loss 2.5
        >>> with tf.summary.FileWriter("logs") as writer:
        ...     writer.add_summary(sess.run(loss_summary, {x: [1.0, 2.0]}), global_step=1)
    """
    return _summary(ScalarSummary, name, tensor, {}, collections, family)


def histogram(name: str, values: Any, collections: Any = None, family: str | None = None) -> Tensor:
    """A histogram of every element of `values` (TF's default exponential buckets).

    Args:
        name: the summary's name (scoped like `scalar`).
        values: a float or int tensor of any shape; NaN or Inf fail when run.
        collections: graph collections to add the op to (default `[GraphKeys.SUMMARIES]`).
        family: optional tag prefix.

    Returns:
        A scalar string tensor holding a serialized `Summary` protobuf.

    Example:
        >>> w1 = tf.constant([[0.5, -1.0], [2.0, 0.0]])
        >>> w1_summary = tf.summary.histogram("W1", w1)
        >>> histo = tf.Summary.FromString(tf.Session().run(w1_summary)).value[0].histo
        >>> print(histo.num, histo.min, histo.max)
        4.0 -1.0 2.0
    """
    return _summary(HistogramSummary, name, values, {}, collections, family)


def image(
    name: str, tensor: Any, max_outputs: int = 3, collections: Any = None, family: str | None = None
) -> Tensor:
    """PNG images of the first `max_outputs` entries of a [batch, height, width, c] tensor.

    c is 1 (grayscale), 3 (RGB) or 4 (RGBA). uint8 values are used as they are; float values
    are scaled per image as TF does: non-negative images by 255 / max (so [0, 1] -> [0, 255]),
    images with negative values to 128 + 127 * x / max|x|; non-finite pixels are drawn red.
    Tags are `name/image` when max_outputs is 1, else `name/image/0`, `name/image/1`, ...

    Args:
        name: the summary's name (scoped like `scalar`).
        tensor: a 4-D uint8 or float tensor.
        max_outputs: at most this many images are written (>= 1).
        collections: graph collections to add the op to (default `[GraphKeys.SUMMARIES]`).
        family: optional tag prefix.

    Returns:
        A scalar string tensor holding a serialized `Summary` protobuf.

    Example:
        >>> x = tf.placeholder(tf.float32, [None, 64])   # flattened 8x8 images
        >>> digits = tf.summary.image("digits", tf.reshape(x, [-1, 8, 8, 1]), max_outputs=2)
        >>> summary = tf.Summary.FromString(tf.Session().run(digits, {x: np.ones((3, 64))}))
        >>> [(v.tag, v.image.height, v.image.width) for v in summary.value]
        [('digits/image/0', 8, 8), ('digits/image/1', 8, 8)]
    """
    if int(max_outputs) < 1:
        raise ValueError(f"image summary '{name}': max_outputs must be >= 1; got {max_outputs}.")
    attrs = {"max_images": int(max_outputs), "bad_color": (255, 0, 0, 255)}
    return _summary(ImageSummary, name, tensor, attrs, collections, family)


def merge(inputs: Any, collections: Any = None, name: str | None = None) -> Tensor:
    """Merges summaries (string tensors of serialized Summary protos) into one.

    Args:
        inputs: a list of summary tensors (what `scalar`, `histogram`, `image` return).
        collections: graph collections to add the merged op to (default: none).
        name: name scope of the op (default "Merge").

    Returns:
        A scalar string tensor: one Summary with every input's values.

    Raises:
        InvalidArgumentError: when run, two inputs have the same tag.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("tf.summary.merge needs at least one summary tensor; got none.")
    g = graph_of(inputs, "MergeSummary")
    with g.name_scope(name or "Merge"):
        val = apply_op(MergeSummary, inputs, name="MergeSummary")
    _collect(val, collections, [])
    return val


def merge_all(
    key: str = GraphKeys.SUMMARIES, scope: str | None = None, name: str | None = None
) -> Tensor | None:
    """Merges every summary in the default graph's collection `key` (None if there is none).

    Example:
        >>> x = tf.placeholder(tf.float32, [None])
        >>> _ = tf.summary.scalar("x_max", tf.reduce_max(x))
        >>> _ = tf.summary.histogram("x", x)
        >>> merged = tf.summary.merge_all()
        >>> sess = tf.Session()
        >>> summary = tf.Summary.FromString(sess.run(merged, {x: [1.0, 2.0]}))
        >>> [v.tag for v in summary.value]
        ['x_max', 'x']
        >>> with tf.summary.FileWriter("logs") as writer:
        ...     writer.add_summary(sess.run(merged, {x: [1.0, 2.0]}), global_step=1)
    """
    summaries = get_default_graph().get_collection(key, scope=scope)
    if not summaries:
        return None
    return merge(summaries, name=name)
