"""What a package index and a new user see: the license (file, SPDX expression, inside the
sdist and the wheel), classifiers, the changelog, the extras, README links that work off the
repository, and a build without setuptools deprecation warnings."""

from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict:
    tomllib = pytest.importorskip("tomllib")
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_license_is_mit_in_the_file_and_the_metadata() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License\n")
    assert "Copyright (c) 2026 the flowzero authors" in text
    project = _pyproject()["project"]
    assert project["license"] == "MIT"  # an SPDX expression, not the deprecated table
    assert project["license-files"] == ["LICENSE"]
    assert "License ::" not in " ".join(project["classifiers"])  # superseded by the expression


def test_classifiers_and_no_invented_urls() -> None:
    project = _pyproject()["project"]
    assert "Programming Language :: Python :: 3 :: Only" in project["classifiers"]
    assert "Typing :: Typed" in project["classifiers"]
    # No public repository or documentation site exists yet: no URL rather than a made-up one.
    assert "urls" not in project


def test_extras_cover_what_the_readme_promises() -> None:
    extras = _pyproject()["project"]["optional-dependencies"]
    names = {re.split(r"[<>=\[; ]", r)[0].lower() for r in extras["cli"]}
    # the main job's figure, progress bar and TensorBoard logs (tensorboardX writes the
    # events, tensorboard has the protos)
    assert {"matplotlib", "tqdm", "tensorboard", "tensorboardx"} <= names
    (everything,) = extras["all"]
    inside = set(re.fullmatch(r"flowzero\[(.*)\]", everything).group(1).split(","))
    assert inside == set(extras) - {"all", "test", "mpi"}  # mpi4py needs an MPI library


def test_readme_links_work_on_a_package_index_page() -> None:
    """The README is the project's page on a package index, where a relative link points
    nowhere: every link must be absolute (the docs are named as paths instead)."""
    text = (ROOT / "README.md").read_text()
    targets = re.findall(r"\]\(([^)\s]+)", text) + re.findall(
        r"^\[[^\]]+\]:\s*(\S+)", text, re.MULTILINE
    )
    relative = [t for t in targets if not re.match(r"(https?:|mailto:|#)", t)]
    assert not relative, f"relative links in README.md: {relative}"
    for doc in re.findall(r"`(docs/[\w.]+\.md)`", text):
        assert (ROOT / doc).is_file(), doc


def test_changelog_keeps_a_changelog() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    version = _pyproject()["project"]["version"]
    assert text.startswith("# Changelog\n")
    assert "## [Unreleased]" in text
    assert re.search(
        rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", text, re.MULTILINE
    )
    for section in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        for heading in re.findall(r"^### (.+)$", section, re.MULTILINE):
            assert heading in ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"), (
                heading
            )


@pytest.mark.slow
def test_sdist_and_wheel_carry_the_license_and_build_without_warnings(tmp_path: Path) -> None:
    """`python -m build` on a clean clone (its isolated build environment comes from the
    package index): no deprecation warning, LICENSE in both archives, the docs and the
    changelog in the sdist."""
    pytest.importorskip("build")
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "flowzero"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True, timeout=300)
    out = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(tmp_path / "dist"), str(clone)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    assert not re.search(r"deprecat", log, re.IGNORECASE), [
        ln for ln in log.splitlines() if re.search("deprecat", ln, re.IGNORECASE)
    ]
    (sdist,) = (tmp_path / "dist").glob("flowzero-*.tar.gz")
    (wheel,) = (tmp_path / "dist").glob("flowzero-*.whl")
    with tarfile.open(sdist) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "docs/cli.md"} <= names
    with zipfile.ZipFile(wheel) as whl:
        names = set(whl.namelist())
        (meta,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata = whl.read(meta).decode()
        (license_file,) = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
        assert whl.read(license_file) == (ROOT / "LICENSE").read_bytes()
    assert "flowzero/datasets/data/mnist_subset.npz" in names
    assert "\nLicense-Expression: MIT\n" in metadata
    assert "\nLicense-File: LICENSE\n" in metadata
    assert "\nProvides-Extra: all\n" in metadata
    assert "\nClassifier: Typing :: Typed\n" in metadata
