"""tf.summary.text, tensor_summary and audio: the protos they write, read back from event files
by TensorBoard's EventAccumulator (and the WAV clips decoded by the stdlib `wave`)."""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

pytest.importorskip("tensorboardX")
pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing import event_accumulator as ea_mod  # noqa: E402
from tensorboard.compat.proto import summary_pb2  # noqa: E402
from tensorboard.util import tensor_util  # noqa: E402

import flowzero as tf  # noqa: E402
import flowzero.summary  # noqa: E402,F401 - installs tf.summary

KEEP_ALL = {ea_mod.TENSORS: 0, ea_mod.AUDIO: 0}
WAVE = (np.sin(np.linspace(0, 20, 60)) * 1.2).astype(np.float32)  # beyond [-1, 1]: clipped


def _load(logdir) -> ea_mod.EventAccumulator:
    acc = ea_mod.EventAccumulator(str(logdir), size_guidance=KEEP_ALL)
    acc.Reload()
    return acc


def _wav(data: bytes) -> tuple[int, int, np.ndarray]:
    with wave.open(io.BytesIO(data), "rb") as w:
        assert w.getsampwidth() == 2 and w.getcomptype() == "NONE"
        frames = np.frombuffer(w.readframes(w.getnframes()), "<i2")
        return w.getframerate(), w.getnchannels(), frames.reshape(-1, w.getnchannels())


def test_text_and_tensor_summaries_round_trip(tmp_path):
    with tf.Graph().as_default():
        step = tf.placeholder(tf.float32, [])
        with tf.name_scope("run"):
            note = tf.summary.text("notes", tf.constant(["# hello", "world"]))
        tf.summary.tensor_summary(
            "w", tf.reshape(tf.range(6.0) * step, [2, 3]), summary_description="the kernel",
            display_name="W",
        )  # fmt: skip
        plain = tf.summary.tensor_summary("count", tf.constant(7, tf.int64), family="fam")
        assert note in tf.get_collection(tf.GraphKeys.SUMMARIES)
        merged = tf.summary.merge_all()
        with tf.Session() as s, tf.summary.FileWriter(str(tmp_path)) as writer:
            for k in range(3):
                writer.add_summary(s.run(merged, {step: k}), global_step=k)
            proto = summary_pb2.Summary.FromString(s.run(plain))
    assert proto.value[0].tag == "fam/fam/count" and proto.value[0].metadata.display_name == ""
    acc = _load(tmp_path)
    assert set(acc.Tags()["tensors"]) == {"run/notes", "w", "fam/fam/count"}
    notes = acc.Tensors("run/notes")
    assert [e.step for e in notes] == [0, 1, 2]
    assert tensor_util.make_ndarray(notes[0].tensor_proto).tolist() == [b"# hello", b"world"]
    assert acc.SummaryMetadata("run/notes").plugin_data.plugin_name == "text"
    meta = acc.SummaryMetadata("w")
    assert (meta.display_name, meta.summary_description) == ("W", "the kernel")
    got = tensor_util.make_ndarray(acc.Tensors("w")[2].tensor_proto)
    np.testing.assert_array_equal(got, np.arange(6, dtype=np.float32).reshape(2, 3) * 2)
    assert got.dtype == np.float32
    assert tensor_util.make_ndarray(acc.Tensors("fam/fam/count")[0].tensor_proto) == 7


def test_text_needs_strings():
    with tf.Graph().as_default():
        with pytest.raises(
            ValueError, match="Expected tensor .* to have dtype string, got float32"
        ):
            tf.summary.text("x", tf.constant([1.0]))


def test_audio_summary_writes_wav_clips(tmp_path):
    stereo = np.stack([WAVE, -0.5 * WAVE], axis=-1)  # [frames, 2]
    with tf.Graph().as_default():
        clips = tf.placeholder(tf.float32, [None, None, 2])
        snd = tf.summary.audio("snd", clips, sample_rate=8000, max_outputs=2)
        mono = tf.summary.audio("mono", tf.constant(WAVE[None, :]), tf.constant(16000.0), 1)
        with tf.Session() as s, tf.summary.FileWriter(str(tmp_path)) as writer:
            feed = {clips: np.stack([stereo, stereo * 0.25, stereo])}
            writer.add_summary(s.run(snd, feed), global_step=1)
            writer.add_summary(s.run(mono), global_step=1)
    acc = _load(tmp_path)
    assert set(acc.Tags()["audio"]) == {"snd/audio/0", "snd/audio/1", "mono/audio"}
    want = np.clip(np.round(stereo * 32768.0), -32768, 32767).astype(np.int16)
    for tag, scale in (("snd/audio/0", 1.0), ("snd/audio/1", 0.25)):
        (e,) = acc.Audio(tag)
        assert (e.content_type, e.sample_rate, e.length_frames) == ("audio/wav", 8000.0, 60)
        rate, channels, frames = _wav(e.encoded_audio_string)
        assert (rate, channels) == (8000, 2)
        expect = np.clip(np.round(stereo * scale * 32768.0), -32768, 32767).astype(np.int16)
        np.testing.assert_array_equal(frames, expect if scale != 1.0 else want)
    assert want.max() == 32767 and want.min() == -32768  # the 1.2 peaks were clipped
    (e,) = acc.Audio("mono/audio")
    rate, channels, frames = _wav(e.encoded_audio_string)
    assert (rate, channels, frames.shape) == (16000, 1, (60, 1))


def test_audio_errors():
    with tf.Graph().as_default():
        with pytest.raises(tf.errors.InvalidArgumentError, match="AudioSummaryV2.*3-D.*2-D"):
            tf.summary.audio("a", tf.zeros([2, 3, 4, 5]), 100)
        with pytest.raises(TypeError, match="AudioSummaryV2.*float32"):
            tf.summary.audio("a", tf.zeros([2, 3], tf.float64), 100)
        with pytest.raises(ValueError, match="max_outputs must be >= 1"):
            tf.summary.audio("a", tf.zeros([2, 3]), 100, max_outputs=0)
        rate = tf.placeholder(tf.float32, [])
        bad = tf.summary.audio("a", tf.zeros([2, 3]), rate)
        unknown = tf.placeholder(tf.float32)
        deep = tf.summary.audio("b", unknown, 100)
        with tf.Session() as s:
            with pytest.raises(tf.errors.InvalidArgumentError, match="sample_rate must be > 0"):
                s.run(bad, {rate: -1.0})
            with pytest.raises(tf.errors.InvalidArgumentError, match="got shape \\[4\\]"):
                s.run(deep, {unknown: np.zeros(4, np.float32)})


# Serialized by TensorFlow 2.21's tf.compat.v1.summary (graph mode) from the same inputs.
TF_BYTES = [
    "0a1f0a056e6f746573420c0807120412020801420268694a080a060a0474657874",
    "0a230a0174421608011208120208011202080222080000c03f000000404a061201441a0164",
    "0a5b0a09736e642f617564696f324e0d0000fa45100218032238524946463000000057415645666d7420100000"
    "0001000200401f0000007d000004001000646174610c00000000000040ff7f00e00080cd0c2a09617564696f2f"
    "776176",
]


def test_summaries_are_tensorflows_bytes():
    clip = np.array([[[0.0, 0.5], [1.5, -0.25], [-1.0, 0.1]]], np.float32)
    with tf.Graph().as_default(), tf.Session() as s:
        got = s.run(
            [
                tf.summary.text("notes", tf.constant(["hi"])),
                tf.summary.tensor_summary(
                    "t", tf.constant([[1.5, 2.0]]), summary_description="d", display_name="D"
                ),
                tf.summary.audio("snd", clip, 8000, max_outputs=1),
            ]
        )
    assert [g.hex() for g in got] == TF_BYTES


def test_summary_description_and_tagged_run_metadata_are_tensorboards_protos():
    from tensorboard.compat.proto import event_pb2

    meta = tf.summary.TaggedRunMetadata(tag="step_3", run_metadata=b"\x01\x02")
    assert isinstance(meta, event_pb2.TaggedRunMetadata)
    assert event_pb2.TaggedRunMetadata.FromString(meta.SerializeToString()).tag == "step_3"
    desc = tf.summary.SummaryDescription(type_hint="tensor")
    assert summary_pb2.SummaryDescription.FromString(desc.SerializeToString()).type_hint == "tensor"


def test_summary_iterator_reads_the_events_back(tmp_path):
    import glob

    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [])
        loss = tf.summary.scalar("loss", x)
        note = tf.summary.text("note", tf.constant("step"))
        with tf.Session() as s, tf.summary.FileWriter(str(tmp_path)) as writer:
            for step in range(3):
                writer.add_summary(s.run(loss, {x: step * 0.5}), global_step=step)
            writer.add_summary(s.run(note), global_step=3)
    (path,) = glob.glob(str(tmp_path / "events.out.tfevents.*"))
    events = list(tf.train.summary_iterator(path))
    assert events[0].file_version.startswith("brain.Event:")
    scalars = [(e.step, v.simple_value) for e in events for v in e.summary.value if v.tag == "loss"]
    assert scalars == [(0, 0.0), (1, 0.5), (2, 1.0)]
    (text_event,) = [e for e in events if e.step == 3]
    assert text_event.summary.value[0].metadata.plugin_data.plugin_name == "text"
    assert isinstance(text_event.summary.value[0].metadata, tf.SummaryMetadata)
    with pytest.raises(tf.errors.NotFoundError):
        list(tf.train.summary_iterator(str(tmp_path / "missing")))
