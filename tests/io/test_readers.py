"""TF1's readers over string queues: WholeFileReader, TextLineReader, TFRecordReader,
FixedLengthRecordReader, IdentityReader; keys, counts, reset, and the end of the queue."""

from __future__ import annotations

import pytest

import flowzero as tf


def _queue(names):
    q = tf.FIFOQueue(10, [tf.string])
    return q, q.enqueue_many([names]), q.close()


def _drain(sess, key, value):
    out = []
    while True:
        try:
            out.append(tuple(sess.run([key, value])))
        except tf.errors.OutOfRangeError:
            return out


def test_text_line_reader_skips_headers_per_file(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("h\n1\n2\n")
    b.write_text("h\r\n3")
    with tf.Graph().as_default():
        q, fill, close = _queue([str(a), str(b)])
        reader = tf.TextLineReader(skip_header_lines=1)
        key, value = reader.read(q)
        n, done = reader.num_records_produced(), reader.num_work_units_completed()
        with tf.Session() as s:
            s.run([fill, close])
            got = _drain(s, key, value)
            assert got == [
                (f"{a}:2".encode(), b"1"),
                (f"{a}:3".encode(), b"2"),
                (f"{b}:2".encode(), b"3"),
            ]
            assert s.run([n, done]) == [3, 2]
            s.run(reader.reset())
            assert s.run(n) == 0


def test_whole_file_and_identity_readers(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"\x00\x01")
    with tf.Graph().as_default():
        q, fill, close = _queue([str(tmp_path / "x.bin")])
        key, value = tf.WholeFileReader().read(q)
        q2, fill2, close2 = _queue(["w1", "w2"])
        k2, v2 = tf.IdentityReader().read(q2)
        with tf.Session() as s:
            s.run([fill, close, fill2, close2])
            assert _drain(s, key, value) == [(str(tmp_path / "x.bin").encode(), b"\x00\x01")]
            assert _drain(s, k2, v2) == [(b"w1", b"w1"), (b"w2", b"w2")]


def test_tfrecord_and_fixed_length_readers(tmp_path):
    path = str(tmp_path / "r.tfrecord")
    with tf.io.TFRecordWriter(path, "GZIP") as w:
        w.write(b"abc")
        w.write(b"de")
    (tmp_path / "f.bin").write_bytes(b"H" + bytes(range(7)))
    with tf.Graph().as_default():
        q, fill, close = _queue([path])
        reader = tf.TFRecordReader(options=tf.io.TFRecordOptions("GZIP"))
        keys, values = reader.read_up_to(q, 5)
        q2, fill2, close2 = _queue([str(tmp_path / "f.bin")] * 2)
        k2, v2 = tf.FixedLengthRecordReader(3, header_bytes=1).read(q2)
        with tf.Session() as s:
            s.run([fill, close, fill2, close2])
            ks, vs = s.run([keys, values])
            assert ks.tolist() == [f"{path}:0".encode(), f"{path}:19".encode()]
            assert vs.tolist() == [b"abc", b"de"]
            with pytest.raises(tf.errors.OutOfRangeError):
                s.run(keys)
            got = _drain(s, k2, v2)
            assert [v for _, v in got] == [b"\x00\x01\x02", b"\x03\x04\x05"] * 2
            assert got[1][0] == f"{tmp_path / 'f.bin'}:1".encode()


def test_reader_pipeline_with_string_input_producer_and_queue_runners(tmp_path):
    for i in range(3):
        (tmp_path / f"{i}.txt").write_text(f"line{i}\n")
    with tf.Graph().as_default():
        files = tf.train.string_input_producer(
            [str(tmp_path / f"{i}.txt") for i in range(3)], num_epochs=2, shuffle=False
        )
        _, line = tf.TextLineReader().read(files)
        with tf.Session() as s:
            s.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(s, coord=coord)
            seen = []
            try:
                while not coord.should_stop():
                    seen.append(s.run(line))
            except tf.errors.OutOfRangeError:
                pass
            finally:
                coord.request_stop()
                coord.join(threads)
    assert seen == [b"line0", b"line1", b"line2"] * 2


def test_reader_errors(tmp_path):
    with tf.Graph().as_default():
        with pytest.raises(TypeError, match="queue of file names"):
            tf.WholeFileReader().read("not a queue")
        with pytest.raises(TypeError, match="hold strings"):
            tf.WholeFileReader().read(tf.FIFOQueue(2, [tf.int32]))
        with pytest.raises(ValueError, match="record_bytes"):
            tf.FixedLengthRecordReader(0)
        q, fill, close = _queue([str(tmp_path / "missing")])
        _, v = tf.WholeFileReader().read(q)
        with tf.Session() as s:
            s.run([fill, close])
            with pytest.raises(tf.errors.NotFoundError, match="missing"):
                s.run(v)
