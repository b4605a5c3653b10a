"""Results for Python and notebooks: flat pandas DataFrames and matplotlib Figures.

::

    from soc.analysis import run, compare

    r = run("alexnet", "coarse-sparse")
    r.layers()                   # one row per layer, flat columns (no nested dicts)
    r.energy(by="data_type")     # energy_pj and share_pct by component / action / data_type / layer
    r.summary()                  # one row: the network totals and metrics
    r.plot("roofline")           # a matplotlib Figure

    c = compare("alexnet", ["coarse-sparse", "weight-sparse", "dense"])
    c.table()                    # one row per design: cycles, energy, speedups, ratios, metrics
    c.layers()                   # every design's layers, with an ``arch`` column
    c.plot("layer_ratios")

Nothing is written to disk unless ``out`` is given (then the same files as ``socsim
run`` / ``socsim compare``). Column names and units are those of ``layers.csv`` and
``summary.json`` (docs/glossary.md): energy in pJ, time in s, traffic in bytes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import pandas as pd

from soc.arch import VectorArch, load_design
from soc.result import LayerResult, design_roofs
from soc.runtime.network import RunOutcome, run_any

RUN_PLOTS = ("energy_by_component", "energy_by_action", "energy_by_data_type", "energy_breakdown", "roofline",
             "cycles_by_layer")
COMPARISON_PLOTS = ("design_ratios", "layer_ratios", "cycles_by_layer_designs", "energy_by_design_component",
                    "energy_by_design_data_type", "roofline", "area_power")
ENERGY_BY = ("component", "action", "data_type", "layer")


def _design(arch: VectorArch | str, sets: Sequence[str] = ()) -> VectorArch:
    if isinstance(arch, VectorArch):
        return arch
    d = load_design(arch, list(sets), kind="vector")
    assert isinstance(d, VectorArch)
    return d


@dataclass
class Run:
    """One network on one design: :attr:`outcome` holds the runtime's summary and layer
    results; the methods give them as flat DataFrames and Figures."""
    outcome: RunOutcome
    design: VectorArch

    @property
    def results(self) -> list[LayerResult]:
        return self.outcome.results

    def layers(self) -> pd.DataFrame:
        """One row per layer: the columns of layers.csv (scalars only: energies per
        component ``e_<c>_pj`` and per data type ``data_<t>_pj``, tilings flattened to
        ``tiling.<field>``, the roofline and efficiency metrics)."""
        from reports.tables import layer_table
        return layer_table([r.to_dict() for r in self.results], design_roofs(self.design))

    def energy_entries(self) -> pd.DataFrame:
        """The aggregated ledger in long form: layer, component, action, data_type,
        count, energy_pj."""
        from soc.session import energy_entries
        return energy_entries(self.results)

    def energy(self, by: str | Sequence[str] = "component") -> pd.DataFrame:
        """Energy summed by one or more of component, action, data_type and layer:
        those columns, ``energy_pj`` and ``share_pct``; sums to the run's energy."""
        from reports.tables import energy_breakdown
        keys = [by] if isinstance(by, str) else list(by)
        bad = [k for k in keys if k not in ENERGY_BY]
        if bad or not keys:
            raise ValueError(f"energy(by={by!r}): allowed keys are {', '.join(ENERGY_BY)}")
        return energy_breakdown(self.energy_entries(), keys)

    def summary(self) -> pd.DataFrame:
        """One row: the network summary's scalar quantities (totals, metrics, design roofs)."""
        from reports.bundle import network_row
        return network_row(self.outcome.summary)

    def plot(self, kind: str = "energy_by_component"):
        """A matplotlib Figure: one of :data:`RUN_PLOTS`."""
        from reports import plots
        layers = self.layers()
        if kind in ("energy_by_component", "energy_by_action", "energy_by_data_type"):
            return plots.energy_by_layer_figure(self.energy_entries(), kind[len("energy_by_"):],
                                                layers=list(layers["name"]))
        if kind == "energy_breakdown":  # by component (static energy of every block as leakage) and data type
            from reports.tables import energy_by_layer_table
            entries = self.energy_entries()
            return plots.network_breakdown_figure(energy_by_layer_table(entries, "component").sum(axis=0).to_dict(),
                                                  energy_by_layer_table(entries, "data_type").sum(axis=0).to_dict())
        if kind == "roofline":
            return plots.roofline_figure(layers, {self.design.name: design_roofs(self.design)})
        if kind == "cycles_by_layer":
            return plots.cycles_by_layer_figure(layers)
        raise ValueError(f"plot {kind!r}: allowed: {', '.join(RUN_PLOTS)}")


@dataclass
class Comparison:
    """The same network on several designs (the first baseline: ``dense`` when compared,
    else the first design)."""
    runs: dict[str, Run]
    baseline: str
    accuracy_threshold: float = field(default=0.005)

    def table(self) -> pd.DataFrame:
        """One row per design: cycles, energy_pj, speedup_vs_<baseline>,
        energy_ratio_vs_<baseline> and the summary metrics (compare.csv)."""
        from reports.tables import design_comparison
        return design_comparison({d: r.outcome.summary for d, r in self.runs.items()}, [self.baseline])

    def layers(self) -> pd.DataFrame:
        """Every design's per-layer table stacked, ``arch`` naming the design."""
        return pd.concat([r.layers().assign(arch=d) for d, r in self.runs.items()], ignore_index=True)

    def layer_ratios(self) -> pd.DataFrame:
        """Per layer and design: speed-up and energy ratio against the baseline (layers
        that take no time left out)."""
        from reports.tables import layer_ratios
        return layer_ratios({d: r.layers() for d, r in self.runs.items()}, self.baseline)

    def energy(self, by: str | Sequence[str] = "component") -> pd.DataFrame:
        """:meth:`Run.energy` of every design, stacked, with an ``arch`` column."""
        return pd.concat([r.energy(by).assign(arch=d) for d, r in self.runs.items()], ignore_index=True)

    def summary(self) -> pd.DataFrame:
        """One row per design: each run's summary (:meth:`Run.summary`)."""
        return pd.concat([r.summary() for r in self.runs.values()], ignore_index=True)

    def accuracy_pairs(self) -> pd.DataFrame:
        from reports.tables import accuracy_pairs
        return accuracy_pairs({d: r.outcome.summary for d, r in self.runs.items()}, self.accuracy_threshold)

    def plot(self, kind: str = "layer_ratios"):
        """A matplotlib Figure: one of :data:`COMPARISON_PLOTS`."""
        from reports.bundle import comparison_figures
        if kind not in COMPARISON_PLOTS:
            raise ValueError(f"plot {kind!r}: allowed: {', '.join(COMPARISON_PLOTS)}")
        summaries = {d: r.outcome.summary for d, r in self.runs.items()}
        tables = {d: r.layers() for d, r in self.runs.items()}
        figures = comparison_figures(self.table(), summaries, tables, self.layer_ratios(), self.baseline,
                                     {d: design_roofs(r.design) for d, r in self.runs.items()})
        if kind not in figures:
            raise ValueError(f"plot {kind!r}: the comparison has no data for it")
        return figures[kind]


def run(network: str, design: VectorArch | str = "coarse-sparse", *, sets: Sequence[str] = (), seed: int = 0,
        strategy: str | None = None, layers: list[str] | None = None, out: str | Path | None = None,
        accuracy: float | None = None) -> Run:
    """Simulate ``network`` (zoo name, network file or workload script) on ``design``
    (a shipped name, a design file, or a :class:`VectorArch`; ``sets`` are ``--set``
    overrides). With ``out``, also write the run's files there. ``accuracy`` (a
    fraction) adds accuracy per joule and per parameter to the summary."""
    cfg = _design(design, sets)
    if out is not None:
        from soc.session import run_into
        outcome = run_into(out, network, cfg, seed=seed, strategy=strategy, layers=layers, accuracy=accuracy)
    else:
        outcome = run_any(network, cfg, seed=seed, strategy=strategy, layers=layers)
        if accuracy is not None:
            from soc.runtime.network import resolve
            from soc.session import add_accuracy
            target = resolve(network)
            net = getattr(target, "network", target)  # a loaded model's network
            add_accuracy(outcome.summary, accuracy, getattr(net, "weights", None))
    return Run(outcome, cfg)


def compare(network: str, designs: Sequence[VectorArch | str] = ("coarse-sparse", "weight-sparse", "dense"), *,
            sets: Sequence[str] = (), seed: int = 0, strategy: str | None = None,
            accuracy: dict[str, float] | None = None) -> Comparison:
    """Run ``network`` on every design (see :func:`run`); ``accuracy`` maps designs to
    their accuracy when known."""
    runs: dict[str, Run] = {}
    for d in designs:
        cfg = _design(d, sets)
        if cfg.name in runs:
            raise ValueError(f"two designs are named {cfg.name!r}; give each its own name")
        runs[cfg.name] = run(network, cfg, seed=seed, strategy=strategy,
                             accuracy=(accuracy or {}).get(cfg.name))
    baseline = "dense" if "dense" in runs else next(iter(runs))
    return Comparison(runs, baseline)


__all__ = ["Run", "Comparison", "run", "compare", "RUN_PLOTS", "COMPARISON_PLOTS"]
