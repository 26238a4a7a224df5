"""tf.contrib.learn.preprocessing: words or bytes of documents -> fixed-length id rows.

    vocab = learn.preprocessing.VocabularyProcessor(max_document_length=20)
    x = np.array(list(vocab.fit_transform(sentences)))   # (n, 20) int64, 0 = unknown/padding

Plain Python + NumPy, as TF 1.15's (no graph ops). Semantics kept from TF: id 0 is the
unknown token (and the padding); `min_frequency` drops words seen *at most* that many times;
trimming renumbers by descending frequency, ties alphabetical; `transform` yields lazily.
"""

from __future__ import annotations

import collections
import pickle
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

__all__ = [
    "TOKENIZER_RE",
    "ByteProcessor",
    "CategoricalVocabulary",
    "VocabularyProcessor",
    "tokenizer",
]

# All-caps runs, a capitalised word before another capital (CamelCase splits), else runs of
# word characters, apostrophes and hyphens: TF's tokenizer rule.
TOKENIZER_RE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z][a-z]+(?=[A-Z])|['\w\-]+", re.UNICODE)


def tokenizer(iterator: Iterable[str]) -> Iterator[list[str]]:
    """Yields each document's tokens (TOKENIZER_RE matches, punctuation dropped)."""
    for value in iterator:
        if not isinstance(value, str):
            raise TypeError(
                f"tokenizer: documents must be str; got {type(value).__name__} ({value!r:.40}). "
                "Decode bytes first (e.g. value.decode('utf-8'))."
            )
        yield TOKENIZER_RE.findall(value)


class CategoricalVocabulary:
    """Category (word, int, ...) -> id, growing until frozen; id 0 is `unknown_token`."""

    def __init__(self, unknown_token: str = "<UNK>", support_reverse: bool = True) -> None:
        self._unknown_token = unknown_token
        self._mapping: dict[Any, int] = {unknown_token: 0}
        self._support_reverse = support_reverse
        if support_reverse:
            self._reverse_mapping: list[Any] = [unknown_token]
        self._freq: Any = collections.defaultdict(int)
        self._freeze = False

    def __len__(self) -> int:
        """The number of ids, the unknown token's included."""
        return len(self._mapping)

    def freeze(self, freeze: bool = True) -> None:
        """Once frozen, unseen categories map to 0 instead of getting a new id."""
        self._freeze = freeze

    def get(self, category: Any) -> int:
        """The id of `category`; an unseen one gets the next id (0 when frozen)."""
        idx = self._mapping.get(category)
        if idx is not None:
            return idx
        if self._freeze:
            return 0
        idx = self._mapping[category] = len(self._mapping)
        if self._support_reverse:
            self._reverse_mapping.append(category)
        return idx

    def add(self, category: Any, count: int = 1) -> None:
        """Counts `category` (giving it an id if new and not frozen)."""
        if self.get(category) > 0:
            self._freq[category] += count

    def trim(self, min_frequency: int, max_frequency: int = -1) -> None:
        """Keeps categories counted more than `min_frequency` times (and fewer than
        `max_frequency` when > 0), renumbered 1.. by descending count, ties in sorted order."""
        # Sort on (is-a-str, value) first so mixed ints and strings order without a TypeError,
        # then stably by count, most frequent first.
        by_name = sorted(self._freq.items(), key=lambda kv: (isinstance(kv[0], str), kv[0]))
        ranked = sorted(by_name, key=lambda kv: kv[1], reverse=True)
        self._mapping = {self._unknown_token: 0}
        if self._support_reverse:
            self._reverse_mapping = [self._unknown_token]
        kept: dict[Any, int] = {}
        for category, count in ranked:
            if max_frequency > 0 and count >= max_frequency:
                continue
            if count <= min_frequency:
                break
            self._mapping[category] = len(self._mapping)
            kept[category] = count
            if self._support_reverse:
                self._reverse_mapping.append(category)
        self._freq = kept

    def reverse(self, class_id: int) -> Any:
        """The category with id `class_id`.

        Raises:
            ValueError: the vocabulary was made with support_reverse=False.
        """
        if not self._support_reverse:
            raise ValueError(
                "This vocabulary wasn't initialized with support_reverse to support reverse() "
                "function."
            )
        return self._reverse_mapping[class_id]


class VocabularyProcessor:
    """Documents -> rows of `max_document_length` word ids (cut when longer, 0-padded).

    Args:
        max_document_length: the row length.
        min_frequency: after `fit`, drop words seen at most this many times (they map to 0).
        vocabulary: a CategoricalVocabulary to use instead of a new one.
        tokenizer_fn: iterable of documents -> iterable of token lists (default `tokenizer`).

    Attributes:
        vocabulary_: the CategoricalVocabulary.
    """

    def __init__(
        self,
        max_document_length: int,
        min_frequency: int = 0,
        vocabulary: CategoricalVocabulary | None = None,
        tokenizer_fn: Callable[[Iterable[Any]], Iterable[Iterable[Any]]] | None = None,
    ) -> None:
        self.max_document_length = max_document_length
        self.min_frequency = min_frequency
        self.vocabulary_ = vocabulary if vocabulary else CategoricalVocabulary()
        self._tokenizer = tokenizer_fn if tokenizer_fn else tokenizer

    def fit(self, raw_documents: Iterable[Any], unused_y: Any = None) -> VocabularyProcessor:
        """Adds every token of `raw_documents` to the vocabulary, trims it, freezes it."""
        for tokens in self._tokenizer(raw_documents):
            for token in tokens:
                self.vocabulary_.add(token)
        if self.min_frequency > 0:
            self.vocabulary_.trim(self.min_frequency)
        self.vocabulary_.freeze()
        return self

    def fit_transform(self, raw_documents: Iterable[Any], unused_y: Any = None) -> Iterator[Any]:
        """`fit`, then `transform` of the same documents (so pass a list, not a generator)."""
        self.fit(raw_documents)
        return self.transform(raw_documents)

    def transform(self, raw_documents: Iterable[Any]) -> Iterator[np.ndarray]:
        """Yields one int64 row of `max_document_length` ids per document."""
        n = self.max_document_length
        for tokens in self._tokenizer(raw_documents):
            row = np.zeros(n, np.int64)
            for i, token in enumerate(tokens):
                if i >= n:
                    break
                row[i] = self.vocabulary_.get(token)
            yield row

    def reverse(self, documents: Iterable[Iterable[int]]) -> Iterator[str]:
        """Yields each id row as its words joined by spaces (0 -> '<UNK>')."""
        for ids in documents:
            yield " ".join(str(self.vocabulary_.reverse(i)) for i in ids)

    def save(self, filename: str) -> None:
        """Pickles the processor (vocabulary included) to `filename`."""
        with open(filename, "wb") as f:
            pickle.dump(self, f)

    @classmethod
    def restore(cls, filename: str) -> VocabularyProcessor:
        """The processor `save` wrote to `filename`."""
        with open(filename, "rb") as f:
            return pickle.load(f)


class ByteProcessor:
    """Documents -> rows of their UTF-8 bytes as uint8, cut or 0-padded to
    `max_document_length`."""

    def __init__(self, max_document_length: int) -> None:
        self.max_document_length = max_document_length

    def fit(self, x: Any) -> None:
        """Nothing to learn."""

    def fit_transform(self, x: Iterable[str | bytes]) -> Iterator[np.ndarray]:
        return self.transform(x)

    def transform(self, x: Iterable[str | bytes]) -> Iterator[np.ndarray]:
        """Yields one uint8 row per document."""
        n = self.max_document_length
        for doc in x:
            data = doc.encode("utf-8") if isinstance(doc, str) else bytes(doc)
            row = np.zeros(n, np.uint8)
            head = np.frombuffer(data[:n], np.uint8)
            row[: head.size] = head
            yield row

    def reverse(self, x: Iterable[np.ndarray]) -> Iterator[str]:
        """Yields each row's bytes (trailing zeros cut) decoded as UTF-8 ('' if invalid)."""
        for row in x:
            data = np.trim_zeros(np.asarray(row).astype(np.uint8), trim="b").tobytes()
            try:
                yield data.decode("utf-8")
            except UnicodeDecodeError:
                yield ""
