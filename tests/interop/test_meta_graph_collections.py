"""Collections through export_meta_graph / import_meta_graph as TF's PTB tutorial uses them:
a variable and ops in collections of the program's own keys, LSTMBlockCell training graphs."""

from __future__ import annotations

import numpy as np

import flowzero as tf


def test_a_variable_in_a_collection_of_its_own_key_comes_back():
    with tf.Graph().as_default():
        lr = tf.Variable(0.0, trainable=False, name="lr")
        new_lr = tf.placeholder(tf.float32, [], name="new_lr")
        update = tf.assign(lr, new_lr)
        for key, item in (("lr", lr), ("new_lr", new_lr), ("lr_update", update)):
            tf.add_to_collection(key, item)
        mg = tf.train.export_meta_graph()
    # Written as TF writes it: the variable's tensor name in a node list.
    assert list(mg.collection_def["lr"].node_list.value) == ["lr:0"]
    assert mg.collection_def["variables"].HasField("bytes_list")
    with tf.Graph().as_default():
        tf.train.import_meta_graph(mg)
        lr2 = tf.get_collection_ref("lr")[0]
        new2 = tf.get_collection_ref("new_lr")[0]
        upd2 = tf.get_collection_ref("lr_update")[0]
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            sess.run(upd2, {new2: 0.25})
            assert sess.run(lr2) == 0.25


def test_lstm_block_cell_training_graph_round_trips_through_a_meta_graph():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(4, 3, 2)).astype(np.float32)
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        x = tf.placeholder(tf.float32, [4, 3, 2], name="x")
        cell = tf.contrib.rnn.LSTMBlockCell(5, forget_bias=0.0)
        state = cell.zero_state(4, tf.float32)
        outs = []
        with tf.variable_scope("RNN"):
            for t in range(3):
                if t:
                    tf.get_variable_scope().reuse_variables()
                out, state = cell(x[:, t, :], state)
                outs.append(out)
        loss = tf.reduce_sum(tf.square(tf.concat(outs, 1)))
        train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
        tf.add_to_collection("loss", loss)
        init = tf.global_variables_initializer()
        with tf.Session() as sess:
            sess.run(init)
            before = [v.eval() for v in tf.trainable_variables()]
            sess.run(train, {x: xs})
            want = sess.run(loss, {x: xs})
        mg = tf.train.export_meta_graph()
    types = {n.op for n in mg.graph_def.node}
    assert {"LSTMBlockCell", "LSTMBlockCellGrad"} <= types  # TF's form, not the JSON fallback
    with tf.Graph().as_default():
        tf.train.import_meta_graph(mg)
        loss2 = tf.get_collection_ref("loss")[0]
        train2 = tf.get_collection_ref("train_op")[0]
        with tf.Session() as sess:
            for v, value in zip(tf.trainable_variables(), before):
                v.load(value, sess)
            sess.run(train2, {"x:0": xs})
            np.testing.assert_allclose(sess.run(loss2, {"x:0": xs}), want, rtol=1e-5)
