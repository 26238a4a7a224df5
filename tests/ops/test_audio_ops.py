"""tf.audio: round trips, errors, and the same bytes and samples as TensorFlow."""

import numpy as np
import pytest

import flowzero as tf
from flowzero.framework import errors


def test_round_trip_and_rate():
    a = np.linspace(-1, 1, 20, dtype=np.float32).reshape(10, 2)
    with tf.Graph().as_default(), tf.Session() as sess:
        wav = tf.audio.encode_wav(a, 22050)
        back, rate = sess.run(tf.audio.decode_wav(wav))
    assert rate == 22050 and back.shape == (10, 2)
    np.testing.assert_allclose(back, a, atol=1 / 32768)


def test_bad_wav_names_the_op():
    with tf.Graph().as_default(), tf.Session() as sess:
        audio, _ = tf.audio.decode_wav(tf.constant(b"garbage"))
        with pytest.raises(errors.InvalidArgumentError, match="DecodeWav.*RIFF"):
            sess.run(audio)
        cut = tf.constant(b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00")
        with pytest.raises(errors.InvalidArgumentError, match="chunk b'fmt ' .* says 16 bytes"):
            sess.run(tf.audio.decode_wav(cut)[0])
    with pytest.raises(TypeError, match="EncodeWav.*float32"):
        with tf.Graph().as_default():
            tf.audio.encode_wav(tf.constant([[1]], tf.int32), 8000)


def test_same_as_tensorflow():
    tf_ = pytest.importorskip("tensorflow")
    a = np.array([[0.0, 0.5], [1.0, -1.0], [0.25, -0.3], [2.0, -2.0]], np.float32)
    want = tf_.audio.encode_wav(a, 16000).numpy()
    with tf.Graph().as_default(), tf.Session() as sess:
        got = sess.run(tf.audio.encode_wav(a, 16000))
        for ch, n in ((-1, -1), (1, 6), (3, 2)):
            mine = sess.run(tf.audio.decode_wav(want, desired_channels=ch, desired_samples=n))
            theirs = tf_.audio.decode_wav(want, desired_channels=ch, desired_samples=n)
            np.testing.assert_array_equal(mine[0], theirs[0].numpy())
            assert mine[1] == theirs[1].numpy()
    assert got == want
