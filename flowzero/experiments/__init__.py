"""Old home of the book's chapter experiments, kept as an alias: they live in
`flowzero.book.experiments` (see flowzero/book/)."""

from flowzero.book.experiments import EXPERIMENTS, Record, run_experiment

__all__ = ["EXPERIMENTS", "Record", "run_experiment"]
