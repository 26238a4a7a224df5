"""tf.contrib.seq2seq attention: LuongAttention (scale), BahdanauAttention (normalize) and
AttentionWrapper against a NumPy reference step by step (masking past
memory_sequence_length, attention layer, alignment history through dynamic_decode, several
mechanisms, output_attention=False), gradients in float64, tile_batch, variable names and
the error paths."""

from __future__ import annotations

import numpy as np
import pytest

import flowzero as tf

S = tf.contrib.seq2seq
B, TM, DM, N, DX, T = 3, 5, 4, 6, 2, 3  # batch, memory time/depth, units, input depth, steps


def _softmax(z):
    z = z - z.max(-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(-1, keepdims=True)


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((B, TM, DM)).astype(np.float32),
        np.array([5, 2, 3], np.int32),
        rng.standard_normal((B, T, DX)).astype(np.float32),
    )


def _vars(sess, scope=""):
    return {
        v.op.name[len(scope) :]: val
        for v, val in zip(tf.global_variables(), sess.run(tf.global_variables()))
        if v.op.name.startswith(scope)
    }


def _score(kind, w, q, keys, prefix):
    if kind == "luong":
        g = w.get(prefix + "luong_attention/attention_g", 1.0)
        return g * np.einsum("bd,btd->bt", q, keys)
    p = prefix + "bahdanau_attention/"
    pq = (q @ w[p + "query_layer/kernel"])[:, None, :]
    v = w[p + "attention_v"]
    if p + "attention_g" in w:
        v = w[p + "attention_g"] * v / np.sqrt((v * v).sum())
        return (v * np.tanh(keys + pq + w[p + "attention_b"])).sum(-1)
    return (v * np.tanh(keys + pq)).sum(-1)


def _np_decode(kind, w, memory, lengths, xs, attention_layer=True, output_attention=True):
    """NumPy AttentionWrapper(BasicRNNCell(N), mechanism) over T teacher-forced steps."""
    mask = np.arange(TM)[None, :] < lengths[:, None]
    values = memory * mask[..., None]
    keys = values @ w["memory_layer/kernel"]
    prefix = "decoder/attention_wrapper/"
    h = np.zeros((B, N), np.float32)
    depth = N if attention_layer else DM
    attention = np.zeros((B, depth), np.float32)
    outs, history = [], []
    for t in range(T):
        cin = np.concatenate([xs[:, t], attention], 1)
        h = np.tanh(
            np.concatenate([cin, h], 1) @ w[prefix + "basic_rnn_cell/kernel"]
            + w[prefix + "basic_rnn_cell/bias"]
        )
        score = np.where(mask, _score(kind, w, h, keys, prefix), -np.inf)
        align = _softmax(score)
        context = np.einsum("bt,btd->bd", align, values)
        if attention_layer:
            attention = np.concatenate([h, context], 1) @ w[prefix + "attention_layer/kernel"]
        else:
            attention = context
        outs.append(attention if output_attention else h)
        history.append(align)
    return np.stack(outs, 1), np.stack(history), h, attention


def _decode(mech, cell_kw=None, x_shape=(None, T, DX)):
    cell = S.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(N), mech, **(cell_kw or {}))
    x = tf.placeholder(tf.float32, x_shape)
    batch = tf.shape(x)[0]
    helper = S.TrainingHelper(x, tf.fill([batch], T))
    dec = S.BasicDecoder(cell, helper, cell.zero_state(batch, tf.float32))
    out, state, _ = S.dynamic_decode(dec)
    return x, cell, out, state


@pytest.mark.parametrize(
    "kind,opt",
    [("luong", False), ("luong", True), ("bahdanau", False), ("bahdanau", True)],
)
def test_wrapper_decode_matches_numpy(kind, opt):
    mv, lv, xv = _data()
    memory = tf.placeholder(tf.float32, [None, None, DM])
    lengths = tf.placeholder(tf.int32, [None])
    if kind == "luong":
        mech = S.LuongAttention(N, memory, memory_sequence_length=lengths, scale=opt)
    else:
        mech = S.BahdanauAttention(N, memory, memory_sequence_length=lengths, normalize=opt)
    x, cell, out, state = _decode(mech, {"attention_layer_size": N, "alignment_history": True})
    assert isinstance(state, S.AttentionWrapperState)
    assert cell.output_size == N and out.rnn_output.shape.as_list() == [None, None, N]
    history = state.alignment_history.stack()
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    if opt:  # move the scalars off their initial values so they matter
        for v in tf.global_variables():
            if v.op.name.endswith("attention_g"):
                sess.run(v.assign(1.7))
    feed = {memory: mv, lengths: lv, x: xv}
    o, hist, st = sess.run([out.rnn_output, history, state._replace(alignment_history=())], feed)
    want = _np_decode(kind, _vars(sess), mv, lv, xv)
    np.testing.assert_allclose(o, want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hist, want[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.cell_state, want[2], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.attention, want[3], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.alignments, want[1][-1], rtol=1e-5, atol=1e-6)
    assert st.time == T
    assert np.all(hist[:, 1, 2:] == 0) and np.all(hist[:, 2, 3:] == 0)  # masked memory


def test_no_attention_layer_and_output_cell():
    mv, lv, xv = _data(1)
    mech = S.LuongAttention(N, tf.constant(mv), memory_sequence_length=lv)
    x, cell, out, state = _decode(mech, {"output_attention": False})
    assert cell.output_size == N and cell.state_size.attention == DM
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    o, st = sess.run([out.rnn_output, state], {x: xv})
    want = _np_decode(
        "luong", _vars(sess), mv, lv, xv, attention_layer=False, output_attention=False
    )
    np.testing.assert_allclose(o, want[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(st.attention, want[3], rtol=1e-5, atol=1e-6)
    assert st.alignment_history == ()


def test_variable_names():
    mv, lv, _ = _data()
    mech = S.BahdanauAttention(N, tf.constant(mv), memory_sequence_length=lv, normalize=True)
    _decode(mech, {"attention_layer_size": 3})
    assert sorted(v.op.name for v in tf.global_variables()) == [
        "decoder/attention_wrapper/attention_layer/kernel",
        "decoder/attention_wrapper/bahdanau_attention/attention_b",
        "decoder/attention_wrapper/bahdanau_attention/attention_g",
        "decoder/attention_wrapper/bahdanau_attention/attention_v",
        "decoder/attention_wrapper/bahdanau_attention/query_layer/kernel",
        "decoder/attention_wrapper/basic_rnn_cell/bias",
        "decoder/attention_wrapper/basic_rnn_cell/kernel",
        "memory_layer/kernel",
    ]


def test_multiple_mechanisms_concatenate_attentions():
    mv, lv, xv = _data(2)
    m = tf.constant(mv)
    with tf.variable_scope("a"):
        m1 = S.LuongAttention(N, m, memory_sequence_length=lv)
    with tf.variable_scope("b"):
        m2 = S.BahdanauAttention(4, m)
    cell = S.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(N), [m1, m2], attention_layer_size=[2, 3])
    assert cell.output_size == 5
    st = cell.zero_state(B, tf.float32)
    assert isinstance(st.alignments, tuple) and len(st.alignments) == 2
    out, new = cell(tf.constant(xv[:, 0]), st)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    o, a1, a2 = sess.run([out, new.alignments[0], new.alignments[1]])
    assert o.shape == (B, 5)
    np.testing.assert_allclose(a1.sum(-1), 1, rtol=1e-6)
    np.testing.assert_allclose(a2.sum(-1), 1, rtol=1e-6)
    assert np.all(a1[1, 2:] == 0) and np.all(a2[1, 2:] > 0)  # only m1 masks


def _check_grads(build, arrays):
    """Symbolic vs central-difference gradients of sum(w * build(*xs)) (variables
    initialized once, float64)."""
    phs = [tf.placeholder(tf.float64, a.shape) for a in arrays]
    y = build(*phs)
    wp = tf.placeholder(tf.float64)
    loss = tf.reduce_sum(y * wp)
    tf.add_to_collection("check_loss", loss)
    grads = tf.gradients(loss, phs)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    feed = dict(zip(phs, arrays))
    feed[wp] = np.random.default_rng(9).uniform(0.5, 1.5, size=sess.run(y, feed).shape)
    sym = sess.run(grads, feed)
    for k, a in enumerate(arrays):
        num = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            d = np.zeros_like(a)
            d[idx] = 1e-6
            plus = sess.run(loss, {**feed, phs[k]: a + d})
            minus = sess.run(loss, {**feed, phs[k]: a - d})
            num[idx] = (plus - minus) / 2e-6
        np.testing.assert_allclose(sym[k], num, rtol=1e-5, atol=1e-8)


def test_gradient_through_attention_float64():
    rng = np.random.default_rng(3)
    mv = rng.standard_normal((2, 3, 2))
    qv = rng.standard_normal((2, 2))

    def build(memory, query):
        mech = S.BahdanauAttention(
            2, memory, memory_sequence_length=[3, 2], normalize=True, dtype=tf.float64
        )
        align, _ = mech(query, None)
        return align * tf.reduce_sum(memory)

    def build_luong(memory, query):
        mech = S.LuongAttention(2, memory, scale=True, dtype=tf.float64)
        align, _ = mech(query, None)
        return align

    for b in (build, build_luong):
        with tf.Graph().as_default():
            _check_grads(b, [mv, qv])


def test_clone_keeps_shapes_and_checks_them():
    mech = S.LuongAttention(N, tf.zeros([B, TM, DM]))
    cell = S.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(N), mech)
    st = cell.zero_state(B, tf.float32)
    new = tf.placeholder(tf.float32, [None, None])
    st2 = st.clone(cell_state=new)
    assert st2.cell_state is new and new.shape.as_list() == [B, N]
    with pytest.raises(ValueError):
        st.clone(cell_state=tf.zeros([B, N + 1]))


def test_tile_batch():
    x = np.arange(12, dtype=np.float32).reshape(2, 3, 2)
    lengths = np.array([3, 1], np.int32)
    tx, tl = S.tile_batch((tf.constant(x), tf.constant(lengths)), 3)
    assert tx.shape.as_list() == [6, 3, 2] and tl.shape.as_list() == [6]
    p = tf.placeholder(tf.float32, [None, 3, 2])
    tp = S.tile_batch(p, 2)
    assert tp.shape.as_list() == [None, 3, 2]
    a, b, c = tf.Session().run([tx, tl, tp], {p: x})
    np.testing.assert_array_equal(a, np.repeat(x, 3, axis=0))
    np.testing.assert_array_equal(b, np.repeat(lengths, 3))
    np.testing.assert_array_equal(c, np.repeat(x, 2, axis=0))
    with pytest.raises(ValueError, match="statically known rank"):
        S.tile_batch(tf.placeholder(tf.float32), 2)


def test_errors():
    memory = tf.zeros([B, TM, DM])
    cell = tf.nn.rnn_cell.BasicRNNCell(N)
    mech = S.LuongAttention(N, memory)
    with pytest.raises(TypeError, match="must be an AttentionMechanism"):
        S.AttentionWrapper(cell, "mech")
    with pytest.raises(TypeError, match="must contain only instances of AttentionMechanism"):
        S.AttentionWrapper(cell, [mech, 3])
    with pytest.raises(ValueError, match="Only one of attention_layer_size and attention_layer"):
        S.AttentionWrapper(cell, mech, attention_layer_size=3, attention_layer=tf.layers.Dense(3))
    with pytest.raises(ValueError, match="exactly one integer per attention_mechanism"):
        S.AttentionWrapper(cell, mech, attention_layer_size=[3, 4])
    with pytest.raises(TypeError, match="cell_input_fn must be callable"):
        S.AttentionWrapper(cell, mech, cell_input_fn=3)
    with pytest.raises(ValueError, match="fully defined inner dims"):
        S.LuongAttention(N, tf.placeholder(tf.float32, [B, TM, None]))
    wrapper = S.AttentionWrapper(cell, S.LuongAttention(N + 1, memory))
    with pytest.raises(ValueError, match="Incompatible or unknown inner dimensions"):
        wrapper(tf.zeros([B, DX]), wrapper.zero_state(B, tf.float32))
    wrapper = S.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(N), mech)
    with pytest.raises(TypeError, match="Expected state to be instance of AttentionWrapperState"):
        wrapper(tf.zeros([B, DX]), tf.zeros([B, N]))
    with pytest.raises(ValueError, match="Non-matching batch sizes"):
        wrapper.zero_state(B + 1, tf.float32)


def test_batch_mismatch_at_run_time():
    memory = tf.placeholder(tf.float32, [None, TM, DM])
    wrapper = S.AttentionWrapper(tf.nn.rnn_cell.BasicRNNCell(N), S.LuongAttention(N, memory))
    batch = tf.placeholder(tf.int32, [])
    st = wrapper.zero_state(batch, tf.float32)
    lengths = tf.placeholder(tf.int32, [None])
    m2 = S.LuongAttention(N, memory, memory_sequence_length=lengths)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    np.testing.assert_array_equal(
        sess.run(st.cell_state, {memory: np.zeros((2, TM, DM)), batch: 2}), np.zeros((2, N))
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="Non-matching batch sizes"):
        sess.run(st.cell_state, {memory: np.zeros((2, TM, DM)), batch: 3})
    with pytest.raises(tf.errors.InvalidArgumentError, match="batch sizes do not match"):
        sess.run(m2.values, {memory: np.zeros((2, TM, DM)), lengths: [1, 2, 3]})


def test_gradient_through_attention_decode_float64():
    rng = np.random.default_rng(4)
    mv = rng.standard_normal((2, 3, 2))
    xv = rng.standard_normal((2, 2, 2))

    def build(memory, x):
        mech = S.LuongAttention(3, memory, memory_sequence_length=[3, 2], dtype=tf.float64)
        cell = S.AttentionWrapper(
            tf.nn.rnn_cell.BasicRNNCell(3, dtype=tf.float64),
            mech,
            attention_layer_size=2,
            alignment_history=True,
        )
        helper = S.TrainingHelper(x, [2, 1])
        dec = S.BasicDecoder(cell, helper, cell.zero_state(2, tf.float64))
        out, state, _ = S.dynamic_decode(dec, impute_finished=True)
        return out.rnn_output + tf.reduce_sum(state.alignment_history.stack())

    _check_grads(build, [mv, xv])
    grads = tf.gradients(
        tf.get_default_graph().get_tensor_by_name("Sum_1:0"), tf.trainable_variables()
    )
    assert all(g is not None for g in grads)


@pytest.mark.slow
def test_reverse_task_with_attention_trains():
    """An encoder GRU over the source, a Luong-attention decoder (teacher forcing) must
    output the source reversed: only attention can fetch the right position."""
    rng = np.random.default_rng(0)
    vocab, steps, batch, units = 6, 5, 32, 32
    tf.set_random_seed(0)
    src = tf.placeholder(tf.int32, [None, steps])
    n = tf.shape(src)[0]
    emb = tf.get_variable("emb", [vocab, 8])
    with tf.variable_scope("encoder"):
        memory, enc_state = tf.nn.dynamic_rnn(
            tf.nn.rnn_cell.GRUCell(units), tf.nn.embedding_lookup(emb, src), dtype=tf.float32
        )
    target = tf.reverse(src, [1])
    dec_in = tf.concat([tf.fill([n, 1], 0), target[:, :-1]], 1)
    mech = S.LuongAttention(units, memory, scale=True)
    cell = S.AttentionWrapper(tf.nn.rnn_cell.GRUCell(units), mech, attention_layer_size=units)
    init = cell.zero_state(n, tf.float32).clone(cell_state=enc_state)
    helper = S.TrainingHelper(tf.nn.embedding_lookup(emb, dec_in), tf.fill([n], steps))
    dec = S.BasicDecoder(cell, helper, init, output_layer=tf.layers.Dense(vocab))
    (logits, _), _, _ = S.dynamic_decode(dec)
    loss = S.sequence_loss(logits, target, tf.ones([n, steps]))
    train = tf.train.AdamOptimizer(0.02).minimize(loss)
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    losses = []
    for _ in range(200):
        data = rng.integers(1, vocab, size=(batch, steps)).astype(np.int32)
        losses.append(sess.run([loss, train], {src: data})[0])
    assert losses[0] > 1.3
    assert np.mean(losses[-10:]) < 0.2, (losses[0], losses[-10:])
