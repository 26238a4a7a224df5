"""`flowzero gradcheck` (the book's gradient check) and `flowzero graph` (Graphviz DOT)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

import flowzero as tf
from flowzero.cli.dot import cluster_id, graph_to_dot, quote
from tests.cli.conftest import cli_env, run_main


def _diffs(stdout: str) -> dict[str, float]:
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r"^(\w+):([0-9.]+e[-+]\d+)", stdout, re.MULTILINE)
    }


def test_gradcheck_two_layer_net(tmp_path: Path) -> None:
    result = run_main("gradcheck", "--model", "two_layer_net", "--max-entries", "300", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    diffs = _diffs(result.stdout)
    assert set(diffs) == {"W1", "b1", "W2", "b2"}, result.stdout
    assert all(d < 1e-6 for d in diffs.values()), diffs
    assert "(300 of 39200 entries)" in result.stdout
    assert "ok: largest mean |backprop - numerical|" in result.stdout


def test_gradcheck_conv_net_and_batchnorm(tmp_path: Path) -> None:
    result = run_main(
        "gradcheck",
        "--model",
        "simple_conv_net",
        "--max-entries",
        "4",
        "--hidden",
        "10",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    diffs = _diffs(result.stdout)
    assert set(diffs) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert all(d < 1e-6 for d in diffs.values()), diffs

    result = run_main(
        "gradcheck",
        "--model",
        "multi_layer_net_extend",
        "--hidden",
        "8",
        "8",
        "--batchnorm",
        "--weight-decay",
        "0.1",
        "--max-entries",
        "50",
        tmp=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    diffs = _diffs(result.stdout)
    assert {"gamma1", "beta2", "W3"} <= set(diffs)
    assert all(d < 1e-6 for d in diffs.values()), diffs


def test_gradcheck_fails_loudly_with_a_tolerance_it_cannot_meet(tmp_path: Path) -> None:
    result = run_main("gradcheck", "--max-entries", "5", "--tol", "1e-30", tmp=tmp_path)
    assert result.returncode == 1
    assert "FAILED" in result.stdout


def test_graph_prints_dot_with_name_scope_clusters(tmp_path: Path) -> None:
    result = run_main("graph", "--model", "two_layer_net", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    dot = result.stdout
    assert dot.startswith("digraph flowzero {") and dot.rstrip().endswith("}")
    assert dot.count("{") == dot.count("}")
    for scope in ("two_layer_net", "two_layer_net_affine1", "two_layer_net_affine2"):
        assert f"subgraph cluster_{scope} {{" in dot
    assert 'label="MatMul"' in dot and 'label="Relu"' in dot
    assert 'label="Placeholder\\nx"' in dot
    assert '[label="(?, 784)"]' in dot  # edges carry static shapes


def test_graph_files_with_and_without_graphviz(tmp_path: Path) -> None:
    # Without `dot` on PATH: the .dot file and a one-line note, exit 0.
    env = cli_env(tmp_path, PATH=str(tmp_path / "empty-bin"))
    result = run_main(
        "graph", "--model", "simple_conv_net", "--out", "g/scn.svg", tmp=tmp_path, env=env
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "g" / "scn.dot").read_text().startswith("digraph")
    assert not (tmp_path / "g" / "scn.svg").exists()
    assert "Graphviz's `dot` program is not installed" in result.stderr
    assert "Traceback" not in result.stderr
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed: rendering not tested")
    result = run_main("graph", "--model", "simple_conv_net", "--out", "g/scn.svg", tmp=tmp_path)
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "g" / "scn.svg").read_text()
    assert "<svg" in svg and "conv1" in svg and "MaxPool" in svg


def test_dot_writer_quotes_names_and_nests_scopes() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert cluster_id("net/conv-1") == "cluster_net_conv_1"
    g = tf.Graph()
    with g.as_default():
        with tf.name_scope("outer"):
            x = tf.placeholder(tf.float32, [None, 3], name="x")
            with tf.name_scope("inner"):
                y = tf.nn.relu(x)
            with tf.control_dependencies([y]):
                tf.identity(x, name="after")
    dot = graph_to_dot(g)
    outer = dot.index("subgraph cluster_outer {")
    inner = dot.index("subgraph cluster_outer_inner {")
    assert outer < inner < dot.index('label="Relu"')
    assert "style=dashed" in dot  # the control dependency
