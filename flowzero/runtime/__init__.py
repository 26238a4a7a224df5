"""Execution: Session (fetch/feed handling) and Plan (pruning, ordering, the run loop)."""
