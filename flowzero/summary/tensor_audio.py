"""tf.summary.tensor_summary and tf.summary.text (TensorSummaryV2: the tensor itself as a
TensorProto in the Summary, with SummaryMetadata naming the TensorBoard plugin that shows it)
and tf.summary.audio (AudioSummaryV2: 16-bit PCM WAV clips, encoded with the stdlib `wave`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import GraphKeys, Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.audio_ops import wav_bytes
from flowzero.summary.summary_ops import (
    SummaryTypeError,
    _collect,
    _string_scalar,
    _summary_scope,
    summary_pb2,
)


# -- TensorSummaryV2 ---------------------------------------------------------------------------
@register_op("TensorSummaryV2")
class TensorSummaryV2(OpDef):
    """y = Summary{value: [{tag, metadata, tensor: TensorProto of x}]}."""

    differentiable = False

    def infer(self, x: Tensor) -> TensorSpec:
        return spec([], dtypes.string)

    def compute(self, x: np.ndarray) -> np.ndarray:
        from flowzero.interop.convert import tensor_proto

        pb = summary_pb2()
        value = pb.Summary.Value(tag=self.attrs["tag"])
        value.metadata.ParseFromString(self.attrs["metadata"])
        dt = dtypes.as_dtype(self.attrs["T"])
        value.tensor.ParseFromString(tensor_proto(x, dt).SerializeToString())
        return _string_scalar(pb.Summary(value=[value]).SerializeToString())


def _metadata_bytes(summary_metadata: Any, display_name: Any, description: Any) -> bytes:
    pb = summary_pb2()
    if summary_metadata is None:
        meta = pb.SummaryMetadata()
    elif isinstance(summary_metadata, bytes):
        meta = pb.SummaryMetadata.FromString(summary_metadata)
    else:  # a SummaryMetadata proto (tensorboard's, TF's, or any with its fields)
        meta = pb.SummaryMetadata.FromString(summary_metadata.SerializeToString())
    if display_name is not None:
        meta.display_name = display_name
    if description is not None:
        meta.summary_description = description
    return meta.SerializeToString()


def tensor_summary(
    name: str,
    tensor: Any,
    summary_description: str | None = None,
    collections: Any = None,
    summary_metadata: Any = None,
    family: str | None = None,
    display_name: str | None = None,
) -> Tensor:
    """A summary holding a whole tensor (any dtype and shape) as a TensorProto.

    Args:
        name: the summary's name (scoped like tf.summary.scalar).
        tensor: the tensor to record.
        summary_description: a description stored in the SummaryMetadata.
        collections: graph collections to add the op to (default `[GraphKeys.SUMMARIES]`).
        summary_metadata: a SummaryMetadata proto (or its bytes), e.g. naming a plugin.
        family: optional tag prefix.
        display_name: a display name stored in the SummaryMetadata.

    Returns:
        A scalar string tensor holding a serialized `Summary` protobuf.

    Example:
        >>> w = tf.constant([[1.0, 2.0]])
        >>> s = tf.summary.tensor_summary("weights", w, summary_description="the layer's kernel")
        >>> value = tf.Summary.FromString(tf.Session().run(s)).value[0]
        >>> print(value.tag, value.metadata.summary_description)
        weights the layer's kernel
        >>> print(tf.make_ndarray(value.tensor))
        [[1. 2.]]
    """
    meta = _metadata_bytes(summary_metadata, display_name, summary_description)
    with _summary_scope(name, family, [tensor]) as (tag, scope):
        t = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
        attrs = {"tag": tag, "metadata": meta, "T": t.dtype}
        val = apply_op(TensorSummaryV2, [t], attrs, name=scope)
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


def text(name: str, tensor: Any, collections: Any = None) -> Tensor:
    """A summary of a string tensor, shown in TensorBoard's Text tab (Markdown rendered).

    Raises:
        ValueError: `tensor` is not a string tensor.

    Example:
        >>> s = tf.summary.text("hyperparameters", tf.constant("lr = 0.1, batch = 32"))
        >>> value = tf.Summary.FromString(tf.Session().run(s)).value[0]
        >>> print(value.tag, value.metadata.plugin_data.plugin_name)
        hyperparameters text
    """
    t = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor)
    if t.dtype is not dtypes.string:
        raise ValueError(f"Expected tensor {t.name} to have dtype string, got {t.dtype.name}.")
    pb = summary_pb2()
    meta = pb.SummaryMetadata(plugin_data=pb.SummaryMetadata.PluginData(plugin_name="text"))
    return tensor_summary(name, t, collections=collections, summary_metadata=meta)


# -- AudioSummaryV2 ----------------------------------------------------------------------------
@register_op("AudioSummaryV2")
class AudioSummaryV2(OpDef):
    """y = Summary of WAV clips: the first `max_outputs` of a [batch, frames(, channels)]
    float32 tensor, at `sample_rate` frames per second."""

    differentiable = False

    def _shape_error(self, shape: Any) -> Exception:
        return self.error(
            f"tensor must be 3-D [batch, frames, channels] or 2-D [batch, frames] for tag "
            f"'{self.attrs['tag']}'; got shape {shape}."
        )

    def infer(self, x: Tensor, rate: Tensor) -> TensorSpec:
        if x.dtype is not dtypes.float32:
            raise self.error(
                f"tensor must be float32; got {x.dtype.name}. Use tf.cast.", cls=SummaryTypeError
            )
        if x.shape.ndims not in (None, 2, 3):
            raise self._shape_error(x.shape)
        if rate.shape.ndims not in (None, 0):
            raise self.error(f"sample_rate must be a scalar; got shape {rate.shape}.")
        return spec([], dtypes.string)

    def compute(self, x: np.ndarray, rate: np.ndarray) -> np.ndarray:
        if x.ndim not in (2, 3):
            raise self._shape_error(list(x.shape))
        sample_rate = float(rate)
        if not sample_rate > 0:
            raise self.error(f"sample_rate must be > 0; got {sample_rate}.")
        clips = x[:, :, None] if x.ndim == 2 else x
        pb = summary_pb2()
        tag, most = self.attrs["tag"], self.attrs["max_outputs"]
        s = pb.Summary()
        for i in range(min(clips.shape[0], most)):
            s.value.add(
                tag=f"{tag}/audio/{i}" if most > 1 else f"{tag}/audio",
                audio=pb.Summary.Audio(
                    sample_rate=sample_rate,
                    num_channels=clips.shape[2],
                    length_frames=clips.shape[1],
                    encoded_audio_string=wav_bytes(clips[i], int(sample_rate)),
                    content_type="audio/wav",
                ),
            )
        return _string_scalar(s.SerializeToString())


def audio(
    name: str,
    tensor: Any,
    sample_rate: Any,
    max_outputs: int = 3,
    collections: Any = None,
    family: str | None = None,
) -> Tensor:
    """WAV clips of the first `max_outputs` entries of a float32 [batch, frames, channels]
    (or [batch, frames]) tensor of samples in [-1, 1] (beyond it they are clipped), for
    TensorBoard's Audio tab. Tags are `name/audio` when max_outputs is 1, else
    `name/audio/0`, `name/audio/1`, ...

    Args:
        name: the summary's name (scoped like tf.summary.scalar).
        tensor: float32 samples.
        sample_rate: a positive scalar, frames per second (a tensor or a number).
        max_outputs: at most this many clips are written (>= 1).
        collections: graph collections to add the op to (default `[GraphKeys.SUMMARIES]`).
        family: optional tag prefix.

    Returns:
        A scalar string tensor holding a serialized `Summary` protobuf.

    Example:
        >>> waveforms = tf.zeros([3, 800, 1])   # 3 clips of 800 frames, 1 channel
        >>> s = tf.summary.audio("speech", waveforms, sample_rate=16000, max_outputs=2)
        >>> summary = tf.Summary.FromString(tf.Session().run(s))
        >>> print([v.tag for v in summary.value], summary.value[0].audio.length_frames)
        ['speech/audio/0', 'speech/audio/1'] 800
    """
    if int(max_outputs) < 1:
        raise ValueError(f"audio summary '{name}': max_outputs must be >= 1; got {max_outputs}.")
    with _summary_scope(name, family, [tensor]) as (tag, scope):
        t = tensor if isinstance(tensor, Tensor) else convert_to_tensor(tensor, name="tensor")
        rate = convert_to_tensor(sample_rate, dtype=dtypes.float32, name="sample_rate")
        attrs = {"tag": tag, "max_outputs": int(max_outputs)}
        val = apply_op(AudioSummaryV2, [t, rate], attrs, name=scope)
    _collect(val, collections, [GraphKeys.SUMMARIES])
    return val


__all__ = ["audio", "tensor_summary", "text"]
