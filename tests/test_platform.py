"""tf.app, tf.flags, tf.logging, tf.gfile / tf.io.gfile: TF1 scripts' process-level modules, run
as a user runs a script (subprocesses for tf.app.run, which exits)."""

from __future__ import annotations

import logging
import subprocess
import sys
import textwrap

import pytest

import flowzero as tf

PROGRAM = textwrap.dedent("""
    import flowzero as tf
    flags = tf.app.flags
    flags.DEFINE_integer("steps", 3, "steps", lower_bound=1)
    flags.DEFINE_string("name", "x", "name")
    flags.DEFINE_boolean("fast", False, "fast")
    flags.DEFINE_float("lr", 0.1, "learning rate")
    flags.DEFINE_list("layers", ["a"], "layers")
    flags.DEFINE_enum("mode", "train", ["train", "eval"], "mode")
    FLAGS = flags.FLAGS

    def main(argv):
        print(FLAGS.steps, FLAGS.name, FLAGS.fast, FLAGS.lr, FLAGS.layers, FLAGS.mode, argv[1:])
        return 3

    if __name__ == "__main__":
        tf.app.run()
""")


def _run(tmp_path, *args):
    path = tmp_path / "prog.py"
    path.write_text(PROGRAM)
    return subprocess.run(
        [sys.executable, str(path), *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_app_run_parses_flags_and_exits_with_main_s_result(tmp_path):
    r = _run(
        tmp_path, "--steps", "7", "--fast", "extra", "--lr=0.5", "--layers=b,c", "--mode", "eval"
    )
    assert r.returncode == 3, r.stderr
    assert r.stdout.split("\n")[0] == "7 x True 0.5 ['b', 'c'] eval ['extra']"


def test_defaults_and_the_no_prefix(tmp_path):
    r = _run(tmp_path, "--nofast")
    assert r.stdout.split("\n")[0] == "3 x False 0.1 ['a'] train []"


@pytest.mark.parametrize(
    "args, message",
    [
        (["--steps", "many"], "--steps='many'"),
        (["--steps", "0"], "outside"),
        (["--mode", "serve"], "expected one of"),
    ],
)
def test_a_bad_flag_value_is_one_clear_line_and_status_1(tmp_path, args, message):
    r = _run(tmp_path, *args)
    assert r.returncode == 1
    assert "FATAL Flags parsing error" in r.stderr and message in r.stderr
    assert "Traceback" not in r.stderr


def test_logging_levels_and_verbosity(caplog):
    logger = tf.logging.get_logger()
    logger.propagate = True
    try:
        tf.logging.set_verbosity(tf.logging.INFO)
        assert tf.logging.get_verbosity() == tf.logging.INFO
        with caplog.at_level(logging.INFO, logger="flowzero"):
            tf.logging.info("step %d", 5)
            tf.logging.debug("hidden")
            for _ in range(5):
                tf.logging.log_first_n(tf.logging.WARN, "first", 2)
        msgs = [r.getMessage() for r in caplog.records]
        assert "step 5" in msgs and "hidden" not in msgs and msgs.count("first") == 2
    finally:
        logger.propagate = False
        tf.logging.set_verbosity(tf.logging.WARN)


def test_gfile_on_local_files(tmp_path):
    d = tmp_path / "a" / "b"
    tf.gfile.MakeDirs(str(d))
    assert tf.gfile.IsDirectory(str(d)) and tf.io.gfile.isdir(str(d))
    with tf.gfile.GFile(str(d / "x.txt"), "w") as f:
        f.write("hello\n")
    assert tf.io.gfile.GFile(str(d / "x.txt")).read() == "hello\n"
    tf.gfile.Copy(str(d / "x.txt"), str(d / "y.txt"))
    assert tf.gfile.ListDirectory(str(d)) == ["x.txt", "y.txt"]
    assert tf.gfile.Glob(str(d / "*.txt")) == [str(d / "x.txt"), str(d / "y.txt")]
    with pytest.raises(tf.errors.AlreadyExistsError):
        tf.gfile.Copy(str(d / "x.txt"), str(d / "y.txt"))
    tf.gfile.Rename(str(d / "y.txt"), str(d / "z.txt"))
    assert tf.gfile.Stat(str(d / "z.txt")).length == 6
    tf.gfile.Remove(str(d / "z.txt"))
    with pytest.raises(tf.errors.NotFoundError, match="z.txt"):
        tf.gfile.Remove(str(d / "z.txt"))
    tf.gfile.DeleteRecursively(str(tmp_path / "a"))
    assert not tf.gfile.Exists(str(tmp_path / "a"))
    with pytest.raises(tf.errors.UnimplementedError, match="gs://"):
        tf.gfile.GFile("gs://bucket/file")


def test_flags_dunder_flags_lists_every_flag_as_absl_does():
    # dennybritz/cnn-text-classification-tf prints its settings with
    # `for attr, value in sorted(FLAGS.__flags.items())` (absl's name -> Flag dict).
    from flowzero.platform.flags import _FlagValues

    values = _FlagValues()
    values._define("batch_size", 64, "Batch Size", int, "int")
    values._define("name", "x", "a name", str, "string")
    flags = values.__flags
    assert sorted(flags) == ["batch_size", "name"]
    assert flags["batch_size"].value == 64 and flags["batch_size"].default == 64
    values(["prog", "--batch_size=8"])
    flags = values.__flags
    assert flags["batch_size"].value == 8 and flags["name"].help == "a name"
    with pytest.raises(AttributeError):
        _ = values._parse_flags  # TF < 1.5 only; absl (TF 1.15) has no such method
