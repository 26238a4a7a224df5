"""Op-table entries for the queue ops and CountUpTo (stateful, blocking: tested as
pipelines)."""

EXEMPT = {
    "QueueEnqueueV2": "a queue op; tests/train/test_queues.py",
    "QueueEnqueueManyV2": "a queue op; tests/train/test_queues.py",
    "QueueDequeueV2": "a queue op; tests/train/test_queues.py",
    "QueueDequeueManyV2": "a queue op; tests/train/test_queues.py",
    "QueueDequeueUpToV2": "a queue op; tests/train/test_queues.py",
    "QueueCloseV2": "a queue op; tests/train/test_queues.py",
    "QueueSizeV2": "a queue op; tests/train/test_queues.py",
    "QueueIsClosedV2": "a queue op; tests/train/test_queues.py",
    "CountUpTo": "an epoch counter; tests/train/test_queues.py",
}
CASES: list = []
