"""One module per peer, each with the same interface (see bench.worker):

    NAME, info(), setup(threads), w1(kind) -> callable,
    TwoLayer(weights, lr), Conv(weights, optimizer, lr) and LSTM(weights, lr) (W7) with
    prepare(x, t) -> batch, step(batch), sync(), loss(batch), accuracy(x, t).

Weights and images arrive in the canonical layouts of bench.data; a peer converts them to its
natural layout once, before timing. Importing a peer module imports its framework, so an
ImportError here means "not installed".
"""
