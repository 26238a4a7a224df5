"""tf.contrib.tensorboard.plugins.projector: the config file TensorBoard's projector reads."""

import os

import numpy as np
import pytest

import flowzero as tf

pytest.importorskip("tensorboard")


def test_visualize_embeddings_writes_the_config_next_to_the_checkpoint(tmp_path):
    from google.protobuf import text_format

    projector = tf.contrib.tensorboard.plugins.projector
    logdir = str(tmp_path)
    with tf.Graph().as_default():
        emb = tf.Variable(
            np.random.default_rng(0).normal(size=(10, 4)).astype(np.float32), name="embedding"
        )
        saver = tf.train.Saver([emb])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            writer = tf.summary.FileWriter(logdir)
            config = projector.ProjectorConfig()
            e = config.embeddings.add()
            e.tensor_name = emb.name
            e.metadata_path = "metadata.tsv"
            projector.visualize_embeddings(writer, config)
            saver.save(sess, os.path.join(logdir, "model.ckpt"), 1)
            writer.close()
    text = (tmp_path / "projector_config.pbtxt").read_text()
    back = text_format.Parse(text, projector.ProjectorConfig())
    assert back.embeddings[0].tensor_name == "embedding:0"
    assert back.embeddings[0].metadata_path == "metadata.tsv"
    assert tf.train.latest_checkpoint(logdir).endswith("model.ckpt-1")
    with pytest.raises(TypeError, match="ProjectorConfig"):
        projector.visualize_embeddings(tf.summary.FileWriter(logdir), {"embeddings": []})
