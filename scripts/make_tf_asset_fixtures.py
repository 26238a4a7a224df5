"""Writes tests/fixtures/tf_interop/assets_model/: a SavedModel with an asset file, written by
real TensorFlow's SavedModelBuilder, for the loader's tests.

    /path/to/tfvenv/bin/python scripts/make_tf_asset_fixtures.py

The graph (tf.compat.v1, TF1 behaviour) holds `vocab`, a Const with the vocabulary file's path
at export time (in the ASSET_FILEPATHS collection, passed as `assets_collection`), and a local
string variable `vocab_contents` that the main op fills with `tf.io.read_file(vocab)`; its
signature maps `x` to `y = 2 * x + w` and to `contents`. The source file is deleted after the
export, so a loader must feed the path of the copy in `assets/` to read it.
assets_expected.json: the vocabulary's text, x, and TF's y after loading.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "tf_interop"
VOCAB = "alpha\nbeta\ngamma\n"


def main() -> None:
    import tensorflow as tf

    v1 = tf.compat.v1
    v1.disable_v2_behavior()
    export = OUT / "assets_model"
    shutil.rmtree(export, ignore_errors=True)
    src = Path(tempfile.mkdtemp()) / "vocab.txt"
    src.write_text(VOCAB)
    xs = [[1.0, 2.0], [-1.0, 0.5]]
    with tf.Graph().as_default():
        x = v1.placeholder(tf.float32, [None, 2], name="x")
        w = v1.get_variable("w", initializer=[0.25, -0.5])
        vocab = tf.constant(str(src), name="vocab")
        v1.add_to_collection(v1.GraphKeys.ASSET_FILEPATHS, vocab)
        contents = v1.get_local_variable(
            "vocab_contents", initializer=tf.constant(b""), dtype=tf.string
        )
        main_op = tf.group(v1.assign(contents, tf.io.read_file(vocab)), name="main_op")
        y = tf.identity(2.0 * x + w, name="y")
        out_contents = tf.identity(contents, name="contents")
        with v1.Session() as sess:
            sess.run(v1.global_variables_initializer())
            builder = v1.saved_model.Builder(str(export))
            sig = v1.saved_model.predict_signature_def({"x": x}, {"y": y, "contents": out_contents})
            builder.add_meta_graph_and_variables(
                sess,
                [v1.saved_model.SERVING],
                signature_def_map={"serving_default": sig},
                assets_collection=v1.get_collection(v1.GraphKeys.ASSET_FILEPATHS),
                main_op=main_op,
            )
            builder.save()
            want = sess.run(y, {x: xs})
    shutil.rmtree(src.parent)
    (OUT / "assets_expected.json").write_text(
        json.dumps({"vocab": VOCAB, "x": xs, "y": want.tolist()}, indent=1) + "\n"
    )
    print(f"wrote {export}")


if __name__ == "__main__":
    main()
