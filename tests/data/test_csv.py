"""tf.data.experimental.CsvDataset and make_csv_dataset on CSV files: rows, selected columns,
headers, type inference, batching, labels, epochs, and the errors."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

E = tf.data.experimental


@pytest.fixture
def files(tmp_path):
    a = tmp_path / "f1.csv"
    a.write_text('a,b,name,y\n1,2.5,x,0\n3,,"q,r",1\n5,7.25,z,0\n')
    b = tmp_path / "f2.csv"
    b.write_text("a,b,name,y\n9,1e3,w,1\n11,0.5,v,1\n")
    return str(a), str(b)


def _drain(ds):
    nxt = ds.make_one_shot_iterator().get_next()
    out = []
    with tf.Session() as s:
        while True:
            try:
                out.append(s.run(nxt))
            except tf.errors.OutOfRangeError:
                return out


def test_csv_dataset_rows(files):
    with tf.Graph().as_default():
        ds = E.CsvDataset(list(files), [tf.int32, 0.0, "?", tf.int64], header=True)
        assert ds.output_types == (tf.int32, tf.float32, tf.string, tf.int64)
        rows = _drain(ds)
        sel = _drain(
            E.CsvDataset(files[0], [tf.constant(-1.0, tf.float64), "?"], header=True,
                         select_cols=[1, 2])
        )  # fmt: skip
        with pytest.raises(tf.errors.InvalidArgumentError, match="not a valid int"):
            _drain(E.CsvDataset(files[0], [tf.int32, 0.0, "", 0]))  # the header is a row
    assert [r[0] for r in rows] == [1, 3, 5, 9, 11]
    assert [r[1] for r in rows] == [2.5, 0.0, 7.25, 1000.0, 0.5]  # the default for "3,,"
    assert rows[1][2] == b"q,r" and rows[4][3] == 1
    assert sel == [(2.5, b"x"), (-1.0, b"q,r"), (7.25, b"z")]


def test_make_csv_dataset_batches_dicts_and_labels(files):
    with tf.Graph().as_default():
        ds = E.make_csv_dataset(
            files[1].replace("f2", "f*"), 2, label_name="y", num_epochs=1, shuffle=False
        )
        assert isinstance(ds.output_types, tuple) and set(ds.output_types[0]) == {"a", "b", "name"}
        assert ds.output_types[0]["a"] == tf.int32 and ds.output_types[0]["b"] == tf.float32
        batches = _drain(ds)
    assert [b[0]["a"].tolist() for b in batches] == [[1, 3], [5, 9], [11]]
    assert [b[1].tolist() for b in batches] == [[0, 1], [0, 1], [1]]
    assert batches[0][0]["name"].tolist() == [b"x", b"q,r"]
    assert batches[0][0]["b"].tolist() == [2.5, 0.0]  # an inferred column's missing value: 0


def test_make_csv_dataset_inference_selection_and_epochs(tmp_path, files):
    big = tmp_path / "big.csv"
    big.write_text("i,l,f,d,s\n1,3000000000,0.5,1e300,x\n2,4,7,2,3\n")
    with tf.Graph().as_default():
        types = E.make_csv_dataset(str(big), 1).output_types
        assert types == {
            "i": tf.int32, "l": tf.int64, "f": tf.float32, "d": tf.float64, "s": tf.string
        }  # fmt: skip
        only_str = E.make_csv_dataset(str(big), 1, num_rows_for_inference=0).output_types
        assert set(only_str.values()) == {tf.string}  # nothing read: strings
        picked = E.make_csv_dataset(
            [files[1], files[0]], 3, select_columns=["name", "a"], num_epochs=2, shuffle=False
        )
        assert set(picked.output_types) == {"a", "name"}
        got = [b["a"].tolist() for b in _drain(picked)]
        forever = E.make_csv_dataset(list(files), 4, shuffle_seed=3)
        nxt = forever.make_one_shot_iterator().get_next()
        with tf.Session() as s:
            seen = [s.run(nxt)["a"] for _ in range(5)]
    assert got == [[1, 3, 5], [9, 11, 1], [3, 5, 9], [11]]  # files sorted, two epochs
    assert all(len(b) == 4 for b in seen)  # num_epochs=None: only full batches
    assert sorted(np.concatenate(seen).tolist())[:4] == [1, 1, 1, 1]


def test_make_csv_dataset_errors(tmp_path, files):
    with pytest.raises(ValueError, match="no files match"):
        E.make_csv_dataset(str(tmp_path / "none*.csv"), 2)
    with pytest.raises(ValueError, match="`column_names` or `header`"):
        E.make_csv_dataset(files[0], 2, header=False)
    with pytest.raises(ValueError, match="`label_name` provided must be one of the columns"):
        E.make_csv_dataset(files[0], 2, label_name="nope")
    with pytest.raises(ValueError, match="unique"):
        E.make_csv_dataset(files[0], 2, column_names=["a", "a", "b", "c"])
    with pytest.raises(ValueError, match="select_columns"):
        E.make_csv_dataset(files[0], 2, select_columns=["zzz"])
    with pytest.raises(ValueError, match="column_defaults has 2 entries for 4 columns"):
        E.make_csv_dataset(files[0], 2, column_defaults=[0, 0])
    with pytest.raises(TypeError, match="CsvDataset: a column's type"):
        E.CsvDataset(files[0], [tf.bool])
