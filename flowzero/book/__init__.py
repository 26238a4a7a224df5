"""The book's code in one place: "Deep Learning from Scratch" (ch. 5-7) on flowzero.

    optimizers   the book's optimizers as graph optimizers (public as `tf.train.book`)
    zoo          the book's networks by their CLI names, data loading, optimizer choice
    trainer      the training loop the CLI and the experiments share (hooks, records)
    experiments  the chapter experiments: EXPERIMENTS, run_experiment (`flowzero book`)
    ch5_ch7, ch6, common, plots   the experiments' bodies, shared run code and figures

The networks themselves are `flowzero.models` (TwoLayerNet, SimpleConvNet, ...). This
package imports nothing on its own: `flowzero.train` imports `optimizers` at `import flowzero`
time, the rest loads when the CLI or a user asks for it.
"""
