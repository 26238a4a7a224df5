"""tf.audio.encode_wav / decode_wav: WAV bytes checked with the stdlib `wave`, round trips,
channel and sample adjustments, errors; TF's bytes for one input (recorded from TF 2.21)."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

import flowzero as tf

ST = np.array([[0.0, 0.5], [1.5, -0.25], [-1.0, 0.1], [0.3, -0.3]], np.float32)
# tf.audio.encode_wav(ST, 8000) as TensorFlow 2.21 writes it
TF_WAV = (
    "524946463400000057415645666d74201000000001000200401f0000007d0000040010006461746110000000"
    "00000040ff7f00e00080cd0c66269ad9"
)


def _run(fetch):
    with tf.Session() as s:
        return s.run(fetch)


def test_encode_wav_is_tfs_wav():
    with tf.Graph().as_default():
        data = _run(tf.audio.encode_wav(ST, 8000))
    assert data.hex() == TF_WAV
    with wave.open(io.BytesIO(data), "rb") as w:
        assert (w.getnchannels(), w.getframerate(), w.getsampwidth()) == (2, 8000, 2)
        pcm = np.frombuffer(w.readframes(4), "<i2").reshape(4, 2)
    np.testing.assert_array_equal(pcm, np.clip(np.round(ST * 32768), -32768, 32767))


def test_decode_wav_round_trip_and_adjustments():
    with tf.Graph().as_default():
        wav = tf.audio.encode_wav(ST, 8000)
        full = tf.audio.decode_wav(wav)
        assert full.audio.shape.as_list() == [None, None] and full.sample_rate.dtype == tf.int32
        three = tf.audio.decode_wav(wav, desired_channels=3)
        padded = tf.audio.decode_wav(wav, desired_channels=1, desired_samples=6)
        assert padded.audio.shape.as_list() == [6, 1]
        cut = tf.audio.decode_wav(wav, desired_samples=2)
        got = _run([full, three.audio, padded.audio, cut.audio])
    audio, rate = got[0]
    assert rate == 8000
    expect = np.clip(np.round(ST * 32768), -32768, 32767) / 32768
    np.testing.assert_array_equal(audio, expect.astype(np.float32))
    np.testing.assert_array_equal(got[1], audio[:, [0, 1, 1]])  # the last channel repeats
    np.testing.assert_array_equal(got[2], np.concatenate([audio[:, :1], np.zeros((2, 1))]))
    np.testing.assert_array_equal(got[3], audio[:2])


def test_wav_errors():
    with pytest.raises(ValueError, match="EncodeWav.*2-D"):
        tf.audio.encode_wav(ST[:, 0], 100)
    with pytest.raises(TypeError, match="sample_rate must be an int32"):
        tf.audio.encode_wav(ST, 100.0)
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="DecodeWav.*WAV file"):
            _run(tf.audio.decode_wav(b"RIFFxx").audio)
        buf = io.BytesIO()
        with wave.open(buf, "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(1)
            w.setframerate(10)
            w.writeframes(b"\x00\x01")
        with pytest.raises(tf.errors.InvalidArgumentError, match="16-bit WAV files.*8"):
            _run(tf.audio.decode_wav(buf.getvalue()).audio)


def test_a_tensor_of_the_wrong_dtype_is_a_type_error_naming_the_op():
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="DecodeWav: contents must be a string tensor"):
            tf.audio.decode_wav(tf.constant(3))
        with pytest.raises(TypeError, match="EncodeWav: sample_rate must be a int32 tensor"):
            tf.audio.encode_wav(tf.zeros([4, 1]), tf.constant(8000.0))
