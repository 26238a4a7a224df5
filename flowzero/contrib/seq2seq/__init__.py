"""tf.contrib.seq2seq: TF 1.15's sequence-to-sequence library, composed from flowzero's ops.

- `sequence_loss`: weighted cross entropy over [batch, time] logits.

Loaded on first use of `tf.contrib.seq2seq` (`import flowzero` stays light).
"""

from flowzero.contrib.seq2seq.loss import sequence_loss

__all__ = ["sequence_loss"]
