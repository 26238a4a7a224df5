"""The measured numbers of the main jobs live in one table (docs/cli.md, "Measured"); every
page that quotes them must say what the table says."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _flat(path: str) -> str:
    return re.sub(r"\s+", " ", (ROOT / path).read_text())


def _measured() -> dict[str, dict[str, str]]:
    text = (ROOT / "docs" / "cli.md").read_text()
    section = text.split("\n## Measured\n", 1)[1].split("\n## ", 1)[0]
    rows = [ln for ln in section.splitlines() if ln.startswith("| `flowzero train")]
    table = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        model = re.search(r"--model (\w+)", cells[0]).group(1)
        table[model] = dict(zip(("acc", "train", "reported", "whole"), cells[1:5]))
    assert {"two_layer_net", "simple_conv_net"} <= set(table), table
    return table


def _seconds(cell: str) -> tuple[float, float]:
    lo, _, hi = cell.removesuffix(" s").partition("–")
    return float(lo), float(hi or lo)


def test_readme_quotes_the_table() -> None:
    t = _measured()
    main, conv = t["two_layer_net"], t["simple_conv_net"]
    readme = _flat("README.md")
    assert (
        f"`flowzero train --model two_layer_net` reaches {main['acc']} test accuracy after "
        f"{main['train']} of training ({main['whole']} for the whole command)"
    ) in readme
    assert f"`--model simple_conv_net` {conv['acc']} after {conv['train']} of training" in readme
    assert f"({main['acc']} measured here)" in readme
    # every time in seconds the README gives is one of the table's
    quoted = set(re.findall(r"\b(\d+(?:\.\d+)?(?:–\d+(?:\.\d+)?)? s)\b", readme))
    assert quoted <= {v for row in t.values() for v in row.values()}, quoted


def test_cli_md_agrees_with_its_table() -> None:
    main = _measured()["two_layer_net"]
    cli = (ROOT / "docs" / "cli.md").read_text()
    assert (
        f"flowzero train --model two_layer_net  # the book's ch. 5 network, offline, "
        f"{main['whole']}\n" in cli
    )
    sample = cli.split("$ flowzero train --model two_layer_net\n", 1)[1].split("```", 1)[0]
    m = re.search(r"^test accuracy: ([0-9.]+) .* in ([0-9.]+) s$", sample, re.MULTILINE)
    assert m, sample
    assert float(m.group(1)) == float(main["acc"])
    lo, hi = _seconds(main["reported"])
    assert lo <= float(m.group(2)) <= hi, (m.group(2), main["reported"])


def test_book_md_agrees_with_the_table() -> None:
    t = _measured()
    book = _flat("docs/book.md")
    assert (
        f"test **{float(t['two_layer_net']['acc']):.4f}**; the whole command takes "
        f"{t['two_layer_net']['whole']}" in book
    )
    conv = t["simple_conv_net"]
    assert f"test **{conv['acc']}**; {conv['train']} of training" in book
    assert f"we end at test {conv['acc']} against the book's" in book


def test_the_cli_tests_expect_the_measured_accuracy() -> None:
    conftest = pytest.importorskip("tests.cli.conftest")
    assert conftest.DEFAULT_RUN_TEST_ACC == float(_measured()["two_layer_net"]["acc"])
