"""Engines that evaluate tasks: a local process pool, or Dask (a LocalCluster it starts,
or an existing cluster's scheduler). All run the same pure function
(:func:`soc.sweep.evaluate.evaluate`), so the rows do not depend on the engine.

Each engine yields ``(task, row)`` as points finish, keeping at most ``2 x workers``
points in flight so that a long sweep neither floods the scheduler nor loses much work
when it is killed. A point whose evaluation could not even run (its worker process died,
the task could not be sent) becomes a failed row naming what happened; the sweep goes
on.

Process pool: ``spawn`` start method (a fresh interpreter per worker, safe with the
threads of the parent) and one BLAS thread per worker. When a worker process dies the
pool is rebuilt and the points that were in flight are run again one at a time; one
that kills its worker while running alone is recorded as failed.
"""
from __future__ import annotations

import logging
import os
from typing import Any, Iterable, Iterator

from soc.sweep.errors import SweepError
from soc.sweep.points import Task

#: Seconds to wait for a Dask scheduler (and its first worker) before giving up.
DEFAULT_TIMEOUT_S = 10.0


def default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def failure_row(task: Task, error: str) -> dict:
    import socket
    row = dict(task.cells)
    row.update(status="failed", error=error, outputs_match_reference=None, feasible=None, run_wall_s=None,
               run_cpu_s=None, run_worker=f"{socket.gethostname()}:{os.getpid()}", run_tensors_reused=None)
    return row


#: Thread-count variables of the BLAS and OpenMP runtimes, set to 1 in every worker (what
#: dask.distributed's nanny does for its workers by default).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                    "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")


def _worker_init() -> None:
    """One BLAS/OpenMP thread per worker process: the workers are the parallelism (a
    worker's BLAS threads would otherwise compete with the other workers for the cores).
    The variables reach the runtimes loaded from now on; threadpoolctl limits those that
    the start of the worker already loaded."""
    for name in THREAD_VARIABLES:
        os.environ[name] = "1"
    import numpy  # noqa: F401  (its BLAS is then loaded, and limited below)
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)


class Engine:
    name = "engine"
    workers = 1

    def start(self) -> None:
        raise NotImplementedError

    def imap_unordered(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, dict]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name} ({self.workers} worker{'s' if self.workers != 1 else ''})"

    def __enter__(self) -> "Engine":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class ProcessEngine(Engine):
    """``--workers N`` local worker processes (default: the cores this process may use)."""
    name = "process pool"

    def __init__(self, workers: int | None = None):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise SweepError(f"--workers: must be an integer >= 1, got {workers!r}")
        self.workers = workers or default_workers()
        self.pool: Any = None  # a ProcessPoolExecutor once started

    def start(self) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_worker_init)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def imap_unordered(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, dict]]:
        from collections import deque
        from concurrent.futures import FIRST_COMPLETED, wait
        from concurrent.futures.process import BrokenProcessPool

        from soc.sweep.evaluate import evaluate
        source = iter(tasks)
        pending: dict = {}
        suspects: deque[Task] = deque()  # in flight when a worker died: re-run one at a time
        alone: set[str] = set()          # point ids running alone: if the pool breaks, they did it
        window = 2 * self.workers

        def fill() -> None:
            if suspects:
                if not pending:
                    task = suspects.popleft()
                    alone.add(task.point_id)
                    pending[self.pool.submit(evaluate, task)] = task
                return
            while len(pending) < window:
                task = next(source, None)
                if task is None:
                    return
                pending[self.pool.submit(evaluate, task)] = task

        fill()
        while pending:
            done, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            crashed: list[Task] = []
            for fut in done:
                task = pending.pop(fut)
                try:
                    row = fut.result()
                except BrokenProcessPool:
                    crashed.append(task)
                    continue
                except Exception as exc:  # the task could not be sent or its row not returned
                    row = failure_row(task, f"{type(exc).__name__}: {exc}")
                yield task, row
            if crashed:
                crashed += list(pending.values())
                pending.clear()
                self.close()
                self.start()
                for task in crashed:
                    if task.point_id in alone:
                        yield task, failure_row(task, "worker process died while evaluating this point "
                                                      "(it ran alone)")
                    else:
                        suspects.append(task)
            fill()


class DaskEngine(Engine):
    """``--dask local`` (a LocalCluster of ``workers`` processes, one thread each, started
    and stopped here) or ``--scheduler ADDRESS`` (an existing cluster; its workers need
    the same socsim installed)."""

    def __init__(self, *, workers: int | None = None, scheduler: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT_S):
        if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int) or workers < 1):
            raise SweepError(f"--workers: must be an integer >= 1, got {workers!r}")
        if scheduler is not None and (not isinstance(scheduler, str) or "://" not in scheduler):
            raise SweepError(f"--scheduler: a Dask scheduler address such as tcp://HOST:8786, got {scheduler!r}")
        if not timeout or timeout <= 0:
            raise SweepError(f"--timeout: must be > 0 seconds, got {timeout!r}")
        self.scheduler = scheduler
        self.timeout = float(timeout)
        self.workers = workers or (default_workers() if scheduler is None else 0)
        self.cluster: Any = None  # a dask LocalCluster (--dask local)
        self.client: Any = None  # a dask.distributed Client once started
        self.name = f"dask scheduler {scheduler}" if scheduler else "dask LocalCluster"

    def start(self) -> None:
        from distributed import Client
        if self.scheduler is None:
            from distributed import LocalCluster
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=True,
                                        dashboard_address=":0", silence_logs=logging.ERROR)
            self.client = Client(self.cluster, timeout=self.timeout)
            return
        try:
            self.client = Client(self.scheduler, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            raise SweepError(f"--scheduler {self.scheduler}: cannot reach the Dask scheduler within "
                             f"{self.timeout:g} s ({' '.join(str(exc).split())}); start it with "
                             f"`dask scheduler` and check the address") from None
        try:
            self.client.wait_for_workers(1, timeout=self.timeout)
        except (OSError, TimeoutError):
            self.close()
            raise SweepError(f"--scheduler {self.scheduler}: the scheduler has no worker after {self.timeout:g} s; "
                             f"start workers with `dask worker {self.scheduler}`") from None
        self.workers = len(self.client.scheduler_info(n_workers=-1).get("workers", {})) or 1

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None
        if self.cluster is not None:
            self.cluster.close()
            self.cluster = None

    def imap_unordered(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, dict]]:
        from distributed import as_completed

        from soc.sweep.evaluate import evaluate
        source = iter(tasks)
        pending: dict = {}
        window = 2 * max(1, self.workers)
        queue = as_completed()

        def fill() -> None:
            while len(pending) < window:
                task = next(source, None)
                if task is None:
                    return
                fut = self.client.submit(evaluate, task, pure=False, key=f"socsim-point-{task.point_id}-"
                                                                          f"{os.urandom(4).hex()}")
                pending[fut.key] = task
                queue.add(fut)

        fill()
        while pending:
            fut = next(queue)
            task = pending.pop(fut.key)
            try:
                row = fut.result()
            except Exception as exc:  # KilledWorker, a lost connection ...
                row = failure_row(task, f"{type(exc).__name__}: {' '.join(str(exc).split())}")
            fut.release()
            yield task, row
            fill()


def make_engine(*, workers: int | None = None, dask: str | None = None, scheduler: str | None = None,
                timeout: float = DEFAULT_TIMEOUT_S) -> Engine:
    """The engine the options name: ``dask='local'``, a ``scheduler`` address, or the
    process pool."""
    if dask is not None and dask != "local":
        raise SweepError(f"--dask: allowed: local (a LocalCluster on this machine), got {dask!r}; use "
                         f"--scheduler tcp://HOST:PORT for an existing cluster")
    if dask is not None and scheduler is not None:
        raise SweepError("--dask local and --scheduler: give one (a LocalCluster here, or an existing cluster)")
    if scheduler is not None:
        if workers is not None:
            raise SweepError("--workers: an existing Dask cluster has the workers it has; drop --workers "
                             "with --scheduler")
        return DaskEngine(scheduler=scheduler, timeout=timeout)
    if dask == "local":
        return DaskEngine(workers=workers, timeout=timeout)
    return ProcessEngine(workers)
