"""A point that kills its worker process is a failed row; the sweep goes on and the
points that were in flight with it are evaluated normally."""
from __future__ import annotations

import dataclasses
import os

from soc.sweep.engines import ProcessEngine
from soc.sweep.points import enumerate_points, make_task
from soc.sweep.spec import load_spec


class _KillsTheWorker:
    """Unpickled in a worker process, it ends that process at once."""

    def __reduce__(self):
        return (os._exit, (3,))


def test_a_point_that_kills_its_worker_is_a_failed_row():
    spec = load_spec({"workloads": [{"network": "lenet5", "layers": ["ip2"]}], "axes": {"tn": [4, 8, 16, 32]}},
                     probe=False)
    tasks = [make_task(spec, p) for p in enumerate_points(spec)]
    tasks[1] = dataclasses.replace(tasks[1], network=_KillsTheWorker())
    with ProcessEngine(2) as engine:
        rows = {task.index: row for task, row in engine.imap_unordered(tasks)}
    assert sorted(rows) == [0, 1, 2, 3]
    assert rows[1]["status"] == "failed" and "worker process died" in rows[1]["error"]
    assert all(rows[i]["status"] == "ok" for i in (0, 2, 3))
