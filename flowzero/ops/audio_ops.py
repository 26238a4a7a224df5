"""tf.audio: 16-bit PCM WAV files to and from float samples (EncodeWav, DecodeWav), with the
stdlib `wave` module; tf.summary.audio writes its clips with the same encoder."""

from __future__ import annotations

import collections
import io
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import _graph_for, op_input


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Float samples [frames, channels] in [-1, 1] as a 16-bit PCM WAV file: each scaled by
    32768, rounded and clipped to int16 (TF's rule)."""
    import wave

    pcm = np.clip(np.round(samples.astype(np.float32) * 32768.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(samples.shape[1])
        w.setsampwidth(2)
        w.setframerate(sample_rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


@register_op("EncodeWav")
class EncodeWav(OpDef):
    """s = the WAV file of float samples x [frames, channels] at sample_rate."""

    differentiable = False

    def infer(self, x: Tensor, rate: Tensor) -> TensorSpec:
        if x.dtype is not dtypes.float32:
            raise self.error(f"audio must be float32; got {x.dtype.name}.")
        if x.shape.ndims not in (None, 2):
            raise self.error(f"audio must be 2-D [frames, channels]; got shape {x.shape}.")
        if rate.dtype is not dtypes.int32 or rate.shape.ndims not in (None, 0):
            raise self.error(
                f"sample_rate must be an int32 scalar; got {rate.dtype.name} of shape {rate.shape}."
            )
        return spec([], dtypes.string)

    def compute(self, x: np.ndarray, rate: np.ndarray) -> np.ndarray:
        if x.ndim != 2:
            raise self.error(f"audio must be 2-D [frames, channels]; got shape {list(x.shape)}.")
        out = np.empty((), dtype=object)
        out[()] = wav_bytes(x, int(rate))
        return out


@register_op("DecodeWav")
class DecodeWav(OpDef):
    """(x, rate) = the float samples [frames, channels] in [-1, 1) and the sample rate of a
    16-bit PCM WAV file."""

    differentiable = False

    def infer(self, s: Tensor) -> list[TensorSpec]:
        if s.dtype is not dtypes.string or s.shape.ndims not in (None, 0):
            raise self.error(f"contents must be a string scalar; got {s.dtype.name} {s.shape}.")
        n, c = self.attrs["desired_samples"], self.attrs["desired_channels"]
        return [
            spec([n if n >= 0 else None, c if c >= 0 else None], dtypes.float32),
            spec([], dtypes.int32),
        ]

    def compute(self, s: np.ndarray) -> list[np.ndarray]:
        import wave

        data = s[()] if isinstance(s, np.ndarray) else s
        try:
            with wave.open(io.BytesIO(bytes(data)), "rb") as w:
                if w.getsampwidth() != 2:
                    raise self.error(
                        f"Can only read 16-bit WAV files, but received {8 * w.getsampwidth()}"
                    )
                channels, rate = w.getnchannels(), w.getframerate()
                raw = w.readframes(w.getnframes())
        except (wave.Error, EOFError) as e:
            why = str(e) or "the data ends early"
            raise self.error(f"Could not decode contents as a WAV file: {why}.") from None
        pcm = np.frombuffer(raw, "<i2").reshape(-1, channels)
        x = pcm.astype(np.float32) / np.float32(32768.0)
        want_c, want_n = self.attrs["desired_channels"], self.attrs["desired_samples"]
        if want_c >= 0:  # a channel beyond the file's repeats its last one
            x = x[:, np.minimum(np.arange(want_c), channels - 1)]
        if want_n >= 0:
            out = np.zeros((want_n, x.shape[1]), np.float32)
            out[: min(want_n, len(x))] = x[:want_n]
            x = out
        return [np.ascontiguousarray(x), np.array(rate, np.int32)]


# NOTE: the tuple's type is named "DecodeWav", as TF's generated op wrapper names it.
DecodeWavResult = collections.namedtuple("DecodeWav", ["audio", "sample_rate"])  # type: ignore[name-match]


def encode_wav(audio: Any, sample_rate: Any, name: str | None = None) -> Tensor:
    """`tf.audio.encode_wav`: a string scalar, the 16-bit PCM WAV file of float32 samples
    [frames, channels] (clipped to [-1, 1]) at `sample_rate` (an int32 scalar).

    Example:
        >>> samples = tf.constant([0.0, 0.5, -0.5, 0.25])
        >>> wav = tf.audio.encode_wav(tf.reshape(samples, [-1, 1]), 16000)
        >>> data = tf.Session().run(wav)
        >>> print(len(data), data[:4])
        52 b'RIFF'
    """
    if isinstance(sample_rate, (float, np.floating)):
        raise TypeError(f"encode_wav: sample_rate must be an int32; got {sample_rate!r}.")
    with _graph_for(audio, sample_rate):
        x = op_input(audio, dtypes.float32, "EncodeWav", "audio")
        rate = op_input(sample_rate, dtypes.int32, "EncodeWav", "sample_rate")
        return apply_op(EncodeWav, [x, rate], name=name or "EncodeWav")


def decode_wav(
    contents: Any, desired_channels: int = -1, desired_samples: int = -1, name: str | None = None
) -> Any:
    """`tf.audio.decode_wav`: (audio float32 [samples, channels] in [-1, 1), sample_rate int32)
    of a 16-bit PCM WAV file. desired_channels keeps the first channels (repeating the last
    where the file has fewer); desired_samples cuts or pads with zeros.

    Example:
        >>> wav = tf.audio.encode_wav(tf.constant([[0.0, 0.5], [0.25, -0.5]]), 8000)
        >>> sess = tf.Session()
        >>> sess.run(tf.write_file("a.wav", wav))
        >>> audio, rate = tf.audio.decode_wav(tf.read_file("a.wav"), desired_channels=1)
        >>> a, r = sess.run((audio, rate))
        >>> print(a.ravel(), r)
        [0.   0.25] 8000
    """
    with _graph_for(contents):
        s = op_input(contents, dtypes.string, "DecodeWav", "contents")
        attrs = {"desired_channels": int(desired_channels), "desired_samples": int(desired_samples)}
        x, rate = apply_op(DecodeWav, [s], attrs, name=name or "DecodeWav")
        return DecodeWavResult(x, rate)


__all__: list[str] = []  # tf.audio's names only (flowzero/audio.py)
