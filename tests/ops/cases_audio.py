"""Op-table rows for tf.audio (WAV bytes <-> float32 samples; not differentiable)."""

import struct

import numpy as np

import flowzero as tf
from flowzero.testing.op_cases import OpCase

AUDIO = np.array([[0.0, 0.5], [1.0, -1.0], [0.25, -0.3], [2.0, -2.0]], np.float32)


def _wav(samples: np.ndarray, rate: int) -> bytes:
    body = samples.astype("<i2").tobytes()
    ch = samples.shape[1]
    return (
        b"RIFF"
        + struct.pack("<I", 36 + len(body))
        + b"WAVEfmt "
        + struct.pack("<IHHIIHH", 16, 1, ch, rate, rate * ch * 2, ch * 2, 16)
        + b"data"
        + struct.pack("<I", len(body))
        + body
    )


INT16 = np.array([[0, 16384], [32767, -32768], [8192, -9830], [32767, -32768]], np.int16)
WAV = np.array(_wav(INT16, 16000), dtype=object)


def _encode_ref(a, rate):
    pcm = np.clip(np.rint(np.clip(a, -1, 1) * 32768.0), -32768, 32767).astype(np.int16)
    out = np.empty((), object)
    out[()] = _wav(pcm, int(rate))
    return out


CASES = [
    OpCase(
        "EncodeWav",
        tf.audio.encode_wav,
        _encode_ref,
        [AUDIO, np.int32(16000)],
        grad=False,
    ),
    OpCase(
        "DecodeWav",
        lambda c: tf.audio.decode_wav(c)[0],
        lambda c: INT16.astype(np.float32) / 32768.0,
        [WAV],
        grad=False,
    ),
    OpCase(
        "DecodeWav",
        lambda c: tf.audio.decode_wav(c, desired_channels=3, desired_samples=6)[0],
        lambda c: np.concatenate(
            [(INT16.astype(np.float32) / 32768.0)[:, [0, 1, 1]], np.zeros((2, 3), np.float32)]
        ),
        [WAV],
        grad=False,
        name="channels_and_padding",
    ),
]
