"""tf.audio: WAV files to and from float samples (imported on first use of `tf.audio`)."""

from flowzero.ops.audio_ops import decode_wav, encode_wav

__all__ = ["decode_wav", "encode_wav"]
