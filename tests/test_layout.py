"""The repository's layout (DESIGN.md §2): bench/ stands beside the package and the tests and
never imports tests/ (the suite may import bench/, not the other way round)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _imported_modules(path: Path) -> list[tuple[str, int]]:
    """(module, line) for every import statement in `path`, at any depth (functions too)."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found.extend((a.name, node.lineno) for a in node.names)
    return found


@pytest.mark.parametrize(
    "path", sorted((REPO / "bench").rglob("*.py")), ids=lambda p: str(p.relative_to(REPO))
)
def test_bench_never_imports_tests(path: Path) -> None:
    for module, line in _imported_modules(path):
        assert module != "tests" and not module.startswith("tests."), (
            f"{path.relative_to(REPO)}:{line} imports {module}; move what bench/ and tests/ "
            "both need into bench/ (as bench/deployment.py) or the package"
        )


def test_the_layout_check_sees_a_tests_import(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tests.serving import x\nimport tests.fixtures\n")
    assert sorted(_imported_modules(bad)) == [("tests.fixtures", 3), ("tests.serving", 2)]


def test_every_committed_bench_result_is_cited_by_the_docs() -> None:
    docs = [REPO / "README.md", REPO / "CHANGELOG.md", *sorted((REPO / "docs").glob("*.md"))]
    text = "\n".join(p.read_text() for p in docs if p.exists())
    uncited = [
        p.name
        for p in sorted((REPO / "bench" / "results").glob("*.json"))
        if p.name not in text
        # a doc may cite a family at once, as deploy.md cites `bench/results/hostile*.json`
        and not any(f"bench/results/{p.name[:i]}*.json" in text for i in range(1, len(p.name)))
    ]
    assert not uncited, f"bench/results/ files no doc cites (delete them or cite them): {uncited}"


def test_the_books_code_has_one_home_and_the_old_paths_still_work() -> None:
    import flowzero as tf
    from flowzero import experiments
    from flowzero.book import experiments as book_experiments
    from flowzero.book import optimizers

    assert tf.train.book is optimizers
    assert tf.train.book.Adam.__module__ == "flowzero.book.optimizers"
    assert experiments.run_experiment is book_experiments.run_experiment
    assert experiments.EXPERIMENTS is book_experiments.EXPERIMENTS
    assert not (REPO / "flowzero" / "train" / "book.py").exists()
    assert sorted(p.name for p in (REPO / "flowzero" / "experiments").iterdir()) in (
        ["__init__.py"],
        ["__init__.py", "__pycache__"],
    )
