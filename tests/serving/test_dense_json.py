""":predict bodies holding one numeric tensor take the simdjson path; it must answer exactly as
the general (orjson) path does, for good bodies and for every malformed one."""

from __future__ import annotations

import os

import numpy as np
import orjson
import pytest

pytest.importorskip("starlette", reason="the serving extra (starlette) is not installed")
pytest.importorskip("simdjson", reason="the serving extra (pysimdjson) is not installed")

from flowzero.serving import ServingConfig, codec, create_app  # noqa: E402
from tests.serving._client import TestClient  # noqa: E402
from tests.serving.conftest import copy_export  # noqa: E402


@pytest.fixture(scope="module")
def client(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("dense")
    copy_export(os.path.join(trained.base, "mnist", "1"), str(root / "mnist" / "1"))
    app = create_app(ServingConfig(str(root), ("mnist",), poll_interval_s=0))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def _rows(trained, n=100):
    return trained.x_test[:n]


def _body(obj) -> bytes:
    return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY)


def test_big_row_and_columnar_requests_take_the_dense_path(trained, client):
    x = _rows(trained)
    for key, out in (("instances", "predictions"), ("inputs", "outputs")):
        body = _body({key: x, "signature_name": "serving_default"})
        sig, fmt, arr = codec.parse_dense(body)
        assert (sig, fmt, arr.shape) == (
            "serving_default",
            "row" if key == "instances" else "columnar",
            (100, 784),
        )
        np.testing.assert_array_equal(arr.astype(np.float32), x)
        r = client.post("/v1/models/mnist:predict", content=body)
        assert r.status_code == 200, r.text
        got = r.json()[out]
        want = trained.reference(x)
        if key == "instances":
            np.testing.assert_array_equal(
                np.float32([p["probabilities"] for p in got]), want["probabilities"]
            )
            assert [p["classes"] for p in got] == want["classes"].tolist()
        else:
            np.testing.assert_array_equal(np.float32(got["probabilities"]), want["probabilities"])


def test_numbers_parse_exactly_as_the_general_parser_does():
    rng = np.random.default_rng(0)
    vals = np.concatenate(
        [
            rng.normal(size=600) * 10.0 ** rng.integers(-40, 40, 600),
            [0.0, -0.0, 1, -1, 3.4028235e38, 1e-45, 2**60, 0.1],
        ]
    )
    text = b'{"inputs": [' + b",".join(repr(float(v)).encode() for v in vals) + b", 7]}"
    _, _, arr = codec.parse_dense(text)
    want = np.asarray(orjson.loads(text)["inputs"], dtype=np.float64)
    np.testing.assert_array_equal(arr, want)
    with np.errstate(over="ignore"):  # the 1e40s become inf in float32, in both
        np.testing.assert_array_equal(arr.astype(np.float32), want.astype(np.float32))


ROW = ",".join(["0.123456"] * 784)


def fill(template: str, *parts: str) -> str:
    """`template` with each "@" replaced by the next of `parts`."""
    for part in parts:
        template = template.replace("@", part, 1)
    return template


BAD = {
    "ragged rows": fill('{"instances": [[@], [@, 1]]}', ROW, ROW),
    "ragged, same total": fill('{"instances": [[@, 1], [@], [@]]}', ROW, ROW, ROW[4:]),
    "nested deeper": fill('{"instances": [[@], [@]]}', ROW, ROW.replace("0.123456", "[0.5]", 1)),
    "a number among rows": fill('{"instances": [[@], 3]}', ROW),
    "null": fill('{"instances": [[@], [@]]}', ROW, ROW.replace("0.123456", "null", 1)),
    "bool": fill('{"instances": [[@], [@]]}', ROW, ROW.replace("0.123456", "true", 1)),
    "string": fill('{"instances": [[@], [@]]}', ROW, ROW.replace("0.123456", '"x"', 1)),
    "b64": fill('{"instances": [[@], [@]]}', ROW, ROW.replace("0.123456", '{"b64": "AA=="}', 1)),
    "wrong width": fill('{"instances": [[@, 1], [@, 1]]}', ROW, ROW),
    "both keys": fill('{"instances": [[@]], "inputs": [[@]]}', ROW, ROW),
    "duplicate key": fill('{"instances": [[@]], "instances": 5}', ROW),
    "unknown key": fill('{"instances": [[@]], "extra": [1]}', ROW),
    "bracket in name": fill('{"instances": [[@]], "signature_name": "a["}', ROW),
    "name not a string": fill('{"instances": [[@]], "signature_name": 3}', ROW),
    "unknown signature": fill('{"instances": [[@]], "signature_name": "nope"}', ROW),
    "overflow": fill('{"instances": [[@]]}', ROW.replace("0.123456", "1e400", 1)),
    "trailing garbage": fill('{"instances": [[@]]} x', ROW),
    "not an object": fill("[[@]]", ROW),
    "named instances": fill('{"instances": [{"x": [@]}]}', ROW),
    "empty": '{"instances": []}' + " " * 5000,
    "truncated": fill('{"instances": [[@]', ROW),
    "byte order mark": fill('\ufeff{"instances": [[@]]}', ROW),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_bodies_answer_as_without_the_dense_path(client, monkeypatch, case):
    body = BAD[case].encode()
    assert len(body) >= codec._DENSE_MIN_BYTES
    fast = client.post("/v1/models/mnist:predict", content=body)
    monkeypatch.setattr(codec, "_simdjson", None)
    slow = client.post("/v1/models/mnist:predict", content=body)
    assert (fast.status_code, fast.json()) == (slow.status_code, slow.json())
    # valid for the general parser too: the last of duplicate keys wins, true is 1.0, named
    # instances are a row format, unknown top-level keys are ignored
    if case not in ("duplicate key", "bool", "named instances", "unknown key"):
        assert fast.status_code in (400, 404), (case, fast.text)


def test_only_plain_dense_bodies_are_claimed():
    for case, text in BAD.items():
        if case in ("unknown signature", "wrong width", "overflow"):
            continue  # dense and well-formed as JSON: the signature check refuses them later
        assert codec.parse_dense(text.encode()) is None, case
    assert codec.parse_dense(b'{"instances": [[1, 2]]}') is None  # small: orjson is cheaper


def _rows_one_by_one(cols: dict[str, np.ndarray]) -> list[dict]:
    n = len(next(iter(cols.values())))
    return [{k: c[i].tolist() for k, c in cols.items()} for i in range(n)]


@pytest.mark.parametrize("seed", range(12))
def test_row_answers_cut_from_one_serialization_equal_row_by_row(seed):
    """encode_predict's fast row path (one orjson call per column, cut at the row separators)
    against building each row on its own: the same values, for any numeric dtypes and ranks."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    cols = {}
    for j in range(int(rng.integers(2, 4))):
        shape = (n, *rng.integers(1, 4, size=int(rng.integers(0, 3))))
        dtype = str(rng.choice(["float32", "float64", "int32", "int64", "uint8", "bool"]))
        if dtype.startswith("float"):
            v = (rng.normal(size=shape) * 10.0 ** rng.integers(-30, 30)).astype(dtype)
        else:
            v = rng.integers(
                0 if dtype in ("uint8", "bool") else -1000,
                2 if dtype == "bool" else 256,
                size=shape,
            ).astype(dtype)
        cols[f'out{j}%s"' if j == 1 else f"out{j}"] = v
    fast = codec._rows_of_numeric_columns(cols, n)
    assert fast is not None
    got = orjson.loads(fast)["predictions"]
    assert got == orjson.loads(codec.encode_predict(cols, "row"))["predictions"]
    want = _rows_one_by_one(cols)
    assert [list(r) for r in got] == [list(r) for r in want]  # names, in order
    for g, w in zip(got, want):
        for k, c in cols.items():
            np.testing.assert_array_equal(np.asarray(g[k], dtype=c.dtype), np.asarray(w[k]))


def test_row_answers_with_empty_or_text_columns_take_the_general_path():
    n = 2
    assert codec._rows_of_numeric_columns({"a": np.zeros((n, 0, 3)), "b": np.arange(n)}, n) is None
    assert (
        codec._rows_of_numeric_columns(
            {"a": np.array([b"x", b"y"], dtype=object), "b": np.arange(n)}, n
        )
        is None
    )
    body = codec.encode_predict({"a": np.zeros((1, 0, 3)), "b": np.arange(1)}, "row")
    assert orjson.loads(body) == {"predictions": [{"a": [], "b": 0}]}
