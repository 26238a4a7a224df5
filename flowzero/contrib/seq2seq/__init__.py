"""tf.contrib.seq2seq: TF 1.15's sequence-to-sequence library, composed from flowzero's ops.

- `sequence_loss` (and the loss object `SequenceLoss`): weighted cross entropy over
  [batch, time] logits.
- Decoding: `Decoder`, `BasicDecoder` (+ `BasicDecoderOutput`) and `dynamic_decode` (one
  tf.while_loop; gradients flow through it), driven by the helpers `TrainingHelper`,
  `ScheduledEmbeddingTrainingHelper`, `ScheduledOutputTrainingHelper`,
  `GreedyEmbeddingHelper`, `SampleEmbeddingHelper`,
  `InferenceHelper` and `CustomHelper`.
- Attention: `BahdanauAttention`, `LuongAttention`, their monotonic forms
  (`BahdanauMonotonicAttention`, `LuongMonotonicAttention`, `monotonic_attention`,
  `safe_cumprod`, `hardmax`) and the cell `AttentionWrapper` (+ `AttentionWrapperState`).
- Beam search: `BeamSearchDecoder` (+ `BeamSearchDecoderState`, `BeamSearchDecoderOutput`,
  `FinalBeamSearchDecoderOutput`), `tile_batch` and `gather_tree` (the GatherTree op).

Loaded on first use of `tf.contrib.seq2seq` (`import flowzero` stays light).
"""

from flowzero.contrib.seq2seq.attention_mechanisms import (
    AttentionMechanism,
    BahdanauAttention,
    LuongAttention,
)
from flowzero.contrib.seq2seq.attention_wrapper import AttentionWrapper, AttentionWrapperState
from flowzero.contrib.seq2seq.basic_decoder import BasicDecoder, BasicDecoderOutput
from flowzero.contrib.seq2seq.beam_search import (
    BeamSearchDecoderOutput,
    BeamSearchDecoderState,
    FinalBeamSearchDecoderOutput,
    gather_tree,
    tile_batch,
)
from flowzero.contrib.seq2seq.beam_search_decoder import BeamSearchDecoder
from flowzero.contrib.seq2seq.decoder import Decoder, dynamic_decode
from flowzero.contrib.seq2seq.helper import (
    CustomHelper,
    Helper,
    ScheduledEmbeddingTrainingHelper,
    ScheduledOutputTrainingHelper,
    TrainingHelper,
)
from flowzero.contrib.seq2seq.loss import SequenceLoss, sequence_loss
from flowzero.contrib.seq2seq.monotonic_attention import (
    BahdanauMonotonicAttention,
    LuongMonotonicAttention,
    hardmax,
    monotonic_attention,
    safe_cumprod,
)
from flowzero.contrib.seq2seq.sampling_helpers import (
    GreedyEmbeddingHelper,
    InferenceHelper,
    SampleEmbeddingHelper,
)

__all__ = [
    "sequence_loss",
    "SequenceLoss",
    "Decoder",
    "dynamic_decode",
    "BasicDecoder",
    "BasicDecoderOutput",
    "Helper",
    "CustomHelper",
    "TrainingHelper",
    "ScheduledEmbeddingTrainingHelper",
    "ScheduledOutputTrainingHelper",
    "GreedyEmbeddingHelper",
    "SampleEmbeddingHelper",
    "InferenceHelper",
    "AttentionMechanism",
    "AttentionWrapper",
    "AttentionWrapperState",
    "BahdanauAttention",
    "LuongAttention",
    "BahdanauMonotonicAttention",
    "LuongMonotonicAttention",
    "hardmax",
    "monotonic_attention",
    "safe_cumprod",
    "BeamSearchDecoder",
    "BeamSearchDecoderOutput",
    "BeamSearchDecoderState",
    "FinalBeamSearchDecoderOutput",
    "gather_tree",
    "tile_batch",
]
