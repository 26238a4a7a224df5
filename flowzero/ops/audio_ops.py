"""tf.audio: WAV files as tensors. `decode_wav` reads 16-bit PCM WAV bytes into float32 samples
in [-1, 1) with shape [samples, channels] and the sample rate; `encode_wav` writes such a tensor
back (each sample clamped to [-1, 1] and stored as round(x * 32768), clipped to int16), as TF's
DecodeWav / EncodeWav. TF has these names only in tf.audio (and tf.contrib.ffmpeg's successors);
neither is differentiable."""

from __future__ import annotations

import struct
from typing import Any

import numpy as np

from flowzero.framework import dtypes
from flowzero.framework.graph import Tensor, apply_op, convert_to_tensor
from flowzero.framework.registry import OpDef, TensorSpec, register_op, spec
from flowzero.ops.common import DTypeError, _graph_for


def _scalar_bytes(od: OpDef, t: Tensor, what: str) -> None:
    if t.dtype is not dtypes.string:
        raise od.error(f"{what} must be a string tensor; got {t.dtype.name}.", cls=DTypeError)
    if t.shape.ndims not in (None, 0):
        raise od.error(f"{what} must be a scalar; got shape {t.shape}.")


@register_op("DecodeWav")
class DecodeWav(OpDef):
    """(audio [samples, channels] float32, sample_rate int32 scalar) of 16-bit PCM WAV bytes."""

    differentiable = False

    def infer(self, contents: Tensor) -> list[TensorSpec]:
        _scalar_bytes(self, contents, "contents")
        ch, n = self.attrs["desired_channels"], self.attrs["desired_samples"]
        return [
            spec([n if n > 0 else None, ch if ch > 0 else None], dtypes.float32),
            spec([], dtypes.int32),
        ]

    def _fail(self, message: str) -> Exception:
        return self.error(f"bad WAV data: {message}")

    def compute(self, contents: np.ndarray) -> list[np.ndarray]:
        data = contents[()]
        if not isinstance(data, bytes):
            data = bytes(data)
        if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
            raise self._fail(f"expected a RIFF/WAVE header; got {data[:12]!r}.")
        pos, fmt, pcm = 12, None, None
        while pos + 8 <= len(data):
            cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
            body = pos + 8
            if body + size > len(data):
                raise self._fail(
                    f"chunk {cid!r} at byte {pos} says {size} bytes; only "
                    f"{len(data) - body} remain."
                )
            if cid == b"fmt ":
                if size < 16:
                    raise self._fail(f"fmt chunk of {size} bytes (at least 16 expected).")
                fmt = struct.unpack("<HHIIHH", data[body : body + 16])
            elif cid == b"data":
                pcm = data[body : body + size]
            pos = body + size + (size & 1)  # chunks are padded to even sizes
        if fmt is None or pcm is None:
            raise self._fail("no 'fmt ' or no 'data' chunk.")
        tag, channels, rate, _, _, bits = fmt
        if tag != 1 or bits != 16:
            raise self._fail(
                f"only 16-bit PCM is supported (format {tag}, {bits} bits per sample)."
            )
        if channels < 1:
            raise self._fail("the fmt chunk says 0 channels.")
        frames = len(pcm) // (2 * channels)
        audio = np.frombuffer(pcm[: frames * 2 * channels], "<i2").reshape(frames, channels)
        audio = audio.astype(np.float32) / np.float32(32768.0)
        want_ch, want_n = self.attrs["desired_channels"], self.attrs["desired_samples"]
        if want_ch > 0 and want_ch != channels:
            audio = audio[:, np.minimum(np.arange(want_ch), channels - 1)]
        if want_n > 0 and want_n != frames:
            padded = np.zeros((want_n, audio.shape[1]), np.float32)
            padded[: min(want_n, frames)] = audio[:want_n]
            audio = padded
        return [np.ascontiguousarray(audio), np.array(rate, np.int32)]


@register_op("EncodeWav")
class EncodeWav(OpDef):
    """16-bit PCM WAV bytes of audio [samples, channels] (float32) at sample_rate."""

    differentiable = False

    def infer(self, audio: Tensor, sample_rate: Tensor) -> TensorSpec:
        if audio.dtype is not dtypes.float32:
            raise self.error(f"audio must be float32; got {audio.dtype.name}.", cls=DTypeError)
        if audio.shape.ndims not in (None, 2):
            raise self.error(f"audio must be [samples, channels]; got shape {audio.shape}.")
        if sample_rate.dtype is not dtypes.int32 or sample_rate.shape.ndims not in (None, 0):
            raise self.error(
                f"sample_rate must be an int32 scalar; got {sample_rate.dtype.name} "
                f"{sample_rate.shape}."
            )
        return spec([], dtypes.string)

    def compute(self, audio: np.ndarray, sample_rate: np.ndarray) -> np.ndarray:
        frames, channels = audio.shape
        if channels < 1:
            raise self.error("audio must have at least one channel.")
        pcm = np.clip(np.rint(np.clip(audio, -1.0, 1.0) * 32768.0), -32768, 32767)
        body = pcm.astype("<i2").tobytes()
        rate = int(sample_rate)
        header = b"RIFF" + struct.pack("<I", 36 + len(body)) + b"WAVE"
        header += b"fmt " + struct.pack(
            "<IHHIIHH", 16, 1, channels, rate, rate * channels * 2, channels * 2, 16
        )
        header += b"data" + struct.pack("<I", len(body))
        out = np.empty((), object)
        out[()] = header + body
        return out


def decode_wav(
    contents: Any, desired_channels: int = -1, desired_samples: int = -1, name: str | None = None
) -> tuple[Tensor, Tensor]:
    """(audio, sample_rate) of a 16-bit PCM WAV file's bytes: audio is float32 [samples,
    channels] in [-1, 1). desired_channels > 0 keeps the first channels (or repeats the last);
    desired_samples > 0 truncates or pads with zeros.

    Example:
        >>> audio, rate = tf.audio.decode_wav(tf.io.read_file("clip.wav"))  # doctest: +SKIP
    """
    with _graph_for(contents):
        c = convert_to_tensor(contents, dtype=dtypes.string)
        attrs = {"desired_channels": int(desired_channels), "desired_samples": int(desired_samples)}
        audio, rate = apply_op(DecodeWav, [c], attrs, name=name or "DecodeWav")
    return audio, rate


def encode_wav(audio: Any, sample_rate: Any, name: str | None = None) -> Tensor:
    """The bytes of a 16-bit PCM WAV file holding `audio` (float32 [samples, channels])."""
    with _graph_for(audio, sample_rate):
        # A tensor keeps its dtype, so that the op names a wrong one (TypeError).
        a = audio if isinstance(audio, Tensor) else convert_to_tensor(audio, dtype=dtypes.float32)
        r = (
            sample_rate
            if isinstance(sample_rate, Tensor)
            else convert_to_tensor(sample_rate, dtype=dtypes.int32)
        )
        return apply_op(EncodeWav, [a, r], {}, name=name or "EncodeWav")


__all__: list[str] = []  # tf.audio only (flowzero/compat/__init__.py)
