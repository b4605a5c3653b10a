"""Multi-objective search over the axes with Optuna's NSGA-II, evaluated on the sweep's
engine.

Every axis is a categorical parameter (its values by position, so any value type
works); the sampler minimizes the objectives; constraints make a point infeasible
(Optuna's constrained domination: a feasible point beats an infeasible one, and among
infeasible ones the smaller violation wins). A failed point is a failed trial.

Reproducibility: the search asks one generation (``population`` trials) at a time,
evaluates its new points in parallel on the engine, and tells the results in trial
order. The proposals therefore depend only on the seed and the rows, never on the
engine, the number of workers or the order in which points finish. A proposal equal to
a point already evaluated reuses its row (no second evaluation), so a resumed search
replays the trials of the rows it finds and evaluates only what is new.

Several workloads: one search per workload, each with ``trials`` trials and the seed
``seed + k`` for the k-th workload (stated choice: the front of one workload is not
traded against another's).
"""
from __future__ import annotations

import math
import warnings
from typing import Callable, Iterator

from soc.sweep.engines import Engine
from soc.sweep.points import Point, Task, make_point
from soc.sweep.spec import SweepSpec


def _objective_values(row: dict, objectives: tuple[str, ...]) -> list[float] | None:
    values = []
    for m in objectives:
        v = row.get(m)
        if v is None or (isinstance(v, float) and math.isnan(v)):
            return None
        values.append(float(v))
    return values


def run_search(spec: SweepSpec, engine: Engine, known: dict[str, dict], make: Callable[[Point], Task],
               first_index: int = 0) -> Iterator[tuple[Task | None, dict, bool]]:
    """Yield ``(task, row, True)`` for every point evaluated now, and ``(None, row, False)``
    for every trial once it is told (its point's row, evaluated now or taken from
    ``known``: point_id -> row of the points already in the results). Proposals follow
    the module doc."""
    import optuna
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import TrialState
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    search = spec.search
    assert search is not None
    objectives = search.objectives
    distributions = {a.name: CategoricalDistribution(list(range(len(a.values)))) for a in spec.axes}
    index_of = {pid: int(row["point"]) for pid, row in known.items()}
    next_index = max([first_index - 1, *index_of.values()]) + 1

    for k, workload in enumerate(spec.workloads):
        constraints = spec.constraints

        def constraints_func(trial, constraints=constraints):
            return trial.user_attrs.get("constraints", [math.inf] * len(constraints))

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # experimental-feature notices
            sampler = optuna.samplers.NSGAIISampler(population_size=search.population, seed=search.seed + k,
                                                    constraints_func=constraints_func if constraints else None)
        study = optuna.create_study(directions=["minimize"] * len(objectives), sampler=sampler)
        asked_total = 0
        while asked_total < search.trials:
            batch = min(search.population, search.trials - asked_total)
            trials = [study.ask(distributions) for _ in range(batch)]
            asked_total += batch
            points = []
            for trial in trials:
                values = tuple((a.name, a.values[trial.params[a.name]]) for a in spec.axes)
                probe = make_point(-1, workload.label, values)
                if probe.point_id not in index_of:
                    index_of[probe.point_id] = next_index
                    next_index += 1
                points.append(make_point(index_of[probe.point_id], workload.label, values))
            fresh: dict[str, Task] = {}
            for p in points:
                if p.point_id not in known and p.point_id not in fresh:
                    fresh[p.point_id] = make(p)
            for task, row in engine.imap_unordered(list(fresh.values())):
                known[task.point_id] = row
                yield task, row, True
            for trial, p in zip(trials, points):
                row = known[p.point_id]
                yield None, row, False
                values = _objective_values(row, objectives) if row.get("status") == "ok" else None
                if values is None:
                    study.tell(trial, state=TrialState.FAIL)
                    continue
                if constraints:
                    trial.set_user_attr("constraints", [c.violation(row) for c in constraints])
                study.tell(trial, values)
