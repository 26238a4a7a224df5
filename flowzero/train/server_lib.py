"""tf.train.ClusterSpec: the jobs and task addresses of a TF1 cluster, as data.

flowzero runs in one process, so there is no tf.train.Server to hand a ClusterSpec to; the spec
is still what TF_CONFIG-style code, RunConfig and device setters read and write.
"""

from __future__ import annotations

from typing import Any


def _check_text(what: str, x: Any) -> None:
    if not isinstance(x, (str, bytes)):
        raise TypeError(f"{what} {x!r} must be bytes or unicode")


class ClusterSpec:
    """A cluster as {job name: {task index: "host:port"}} (TF's tf.train.ClusterSpec).

    Example:
        >>> cluster = tf.train.ClusterSpec({"worker": ["w0:2222", "w1:2222"],
        ...                                 "ps": {1: "ps1:2222"}})
        >>> cluster.task_address("worker", 1), cluster.num_tasks("ps")
        ('w1:2222', 1)
    """

    def __init__(self, cluster: Any) -> None:
        if isinstance(cluster, ClusterSpec):
            self._cluster_spec = {j: dict(t) for j, t in cluster._cluster_spec.items()}
            return
        if not isinstance(cluster, dict):
            raise TypeError(
                "`cluster` must be a dictionary mapping one or more job names to lists of "
                "network addresses, or a `ClusterDef` protocol buffer"
            )
        self._cluster_spec: dict[str, dict[int, Any]] = {}
        for job_name, tasks in cluster.items():
            _check_text("Job name", job_name)
            if isinstance(tasks, (list, tuple)):
                job_tasks = dict(enumerate(tasks))
            elif isinstance(tasks, dict):
                job_tasks = {int(i): t for i, t in tasks.items()}
            else:
                raise TypeError(
                    f"The tasks for job {job_name!r} must be a list or a dictionary from "
                    "integers to strings."
                )
            for t in job_tasks.values():
                _check_text("Task address", t)
            self._cluster_spec[job_name] = job_tasks

    def __bool__(self) -> bool:
        return bool(self._cluster_spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ClusterSpec):
            return self._cluster_spec == other._cluster_spec
        return self._cluster_spec == other

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = None  # type: ignore[assignment]  # (mutable-looking, compared by value, as TF)

    def __repr__(self) -> str:
        d = self.as_dict()
        return "ClusterSpec({" + ", ".join(f"{k!r}: {d[k]!r}" for k in sorted(d)) + "})"

    def as_dict(self) -> dict[str, Any]:
        """{job: [addresses]} where the task indices are 0..n-1, else {job: {index: address}}."""
        ret: dict[str, Any] = {}
        for job in self.jobs:
            indices = self.task_indices(job)
            if not indices:
                ret[job] = {}
            elif max(indices) + 1 == len(indices):
                ret[job] = self.job_tasks(job)
            else:
                ret[job] = {i: self.task_address(job, i) for i in indices}
        return ret

    @property
    def jobs(self) -> list[str]:
        """The job names, in the order given."""
        return list(self._cluster_spec)

    def _job(self, job_name: str) -> dict[int, Any]:
        try:
            return self._cluster_spec[job_name]
        except KeyError:
            raise ValueError(f"No such job in cluster: {job_name!r}") from None

    def num_tasks(self, job_name: str) -> int:
        return len(self._job(job_name))

    def task_indices(self, job_name: str) -> list[int]:
        return sorted(self._job(job_name))

    def task_address(self, job_name: str, task_index: int) -> Any:
        job = self._job(job_name)
        try:
            return job[task_index]
        except KeyError:
            raise ValueError(f"No task with index {task_index!r} in job {job_name!r}") from None

    def job_tasks(self, job_name: str) -> list[Any]:
        """The addresses by task index; None where a sparse job has no such task."""
        job = self._job(job_name)
        ret: list[Any] = [None] * (max(job) + 1 if job else 0)
        for i, t in job.items():
            ret[i] = t
        return ret


__all__ = ["ClusterSpec"]
