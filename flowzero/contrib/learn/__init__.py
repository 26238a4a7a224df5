"""tf.contrib.learn: the part TF1 text programs still use, `learn.preprocessing`
(VocabularyProcessor, CategoricalVocabulary, ByteProcessor, tokenizer). TF's contrib.learn
estimators and datasets are not here (use tf.estimator)."""

from flowzero.contrib.learn import preprocessing

__all__ = ["preprocessing"]
