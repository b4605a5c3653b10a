"""The compiler's traffic model (soc.compiler.tiling.traffic) against the DRAM bytes the
simulation really moves for the same tiling, and forced reuse strategies.

Tolerances (why the two can differ):
* every DRAM transfer is rounded up to whole 64-byte bursts by the DRAM model, the
  estimate is not: up to ``burst`` bytes per transfer (load, partial-sum reload);
* coarse-sparse tile sizes are estimated as dense size x the layer's mean density (docs/hardware.md §6);
  the real tiles hold their own non-zeros, and masks/SB contents are rounded up to whole
  bytes per tile and per PE: we allow 3 % of the estimate on top of the bursts.
DRAM reads are compared (inputs + weights + partial-sum reloads): the estimate of the
encoder's output bytes uses the input density as the output density, which is a
prediction, not a rounding.
Layers are chosen where the estimate's other simplifications vanish: FC outputs a multiple
of Tn, convolutions without padding tiled in whole output rows (the estimate's input
footprint takes full rows and does not clip padded borders).
"""
from __future__ import annotations

import itertools

import pytest

from energy.ledger import EnergyLedger
from soc.arch import design
from soc.compiler.explain import lower_layer
from soc.compiler.program import STRATEGIES, LoadInput, LoadWeights, OpenOutput, Tiling
from soc.compiler.tiles import TileMaker
from soc.compiler.tiling import choose, measure_densities, real_overflow, traffic
from soc.vector.accelerator import VectorAccelerator

PRESETS = ("coarse-sparse", "weight-sparse", "dense")
from workloads.layers import FC, Conv
from workloads.sparsity import layer_tensors

SPARSE_SLACK = 0.03


def _part(layer, cfg, wd, xd, batch=1):
    t = layer_tensors(layer, wd, xd, None, 3, batch=batch)
    return lower_layer(layer, t, cfg)[0]


def _simulate(part, cfg, tiling):
    tm = TileMaker(part, cfg, tiling)
    assert not real_overflow(tm), f"test tiling {tiling} overflows a buffer"
    run = VectorAccelerator(cfg, EnergyLedger(), "none").run(part, tiling, tm)
    prog = run.program
    transfers = (prog.count(LoadInput) + prog.count(LoadWeights)
                 + sum(1 for x in prog.instructions if isinstance(x, OpenOutput) and x.reload_partial))
    return run, transfers


def _estimated_read(part, cfg, tiling) -> float:
    est = traffic(part, cfg, measure_densities(part, cfg), tiling)
    return est["inputs"] + est["weights"] + est["partial_sums"] / 2


CASES = [
    # (layer, weight density, input density, batch, tiling (p, i, o))
    (FC("fc", 1024, 256), 0.25, 0.6, 2, (2, 256, 64)),
    (Conv("conv", 32, 32, 3, (14, 14)), 0.35, 0.5, 1, (24, 144, 16)),
]


@pytest.mark.parametrize("preset_name", PRESETS)
@pytest.mark.parametrize("case", range(len(CASES)))
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_estimated_traffic_matches_simulated_bytes(preset_name, case, strategy):
    layer, wd, xd, batch, (p, i, o) = CASES[case]
    cfg = design(preset_name)
    part = _part(layer, cfg, wd, xd, batch)
    tiling = Tiling(p, i, o, strategy)
    run, transfers = _simulate(part, cfg, tiling)
    est = _estimated_read(part, cfg, tiling)
    slack = cfg.dram.burst_bytes * transfers
    if preset_name == "coarse-sparse":
        slack += SPARSE_SLACK * est
    assert transfers > 3  # a multi-tile case, so reuse matters
    assert abs(run.dram_bytes_read - est) <= slack, (run.dram_bytes_read, est, slack)
    assert run.outputs_match_reference


@pytest.mark.parametrize("preset_name", ["coarse-sparse", "dense"])
def test_forcing_a_strategy_moves_dram_bytes_the_predicted_way(preset_name):
    """Same layer, each strategy forced (with its own best tiling, as the compiler plans
    it): wherever the model predicts a clear difference (> 10 %), the simulation agrees."""
    cfg = design(preset_name)
    part = _part(Conv("c2", 128, 128, 3, (12, 12), padding=1), cfg, 0.35, 0.5)
    est, sim = {}, {}
    for s in STRATEGIES:
        tiling, tr, tm = choose(part, cfg, s)
        assert tiling.strategy == s
        est[s] = tr[s]["total"]
        run = VectorAccelerator(cfg, EnergyLedger(), "none").run(part, tiling, tm)
        sim[s] = run.dram_bytes_read + run.dram_bytes_written
    compared = 0
    for a, b in itertools.permutations(STRATEGIES, 2):
        if est[a] < 0.9 * est[b]:
            compared += 1
            assert sim[a] < sim[b], (a, b, est, sim)
    assert compared >= 1, f"the model predicts no clear difference: {est}"


def test_fixed_tiling_loop_order_changes_traffic_as_predicted():
    """One multi-tile tiling under the three loop orders: the order of the estimated totals
    is the order of the simulated DRAM bytes."""
    cfg = design("dense")
    part = _part(FC("fc", 1024, 256), cfg, 1.0, 1.0, batch=4)
    est, sim = {}, {}
    for s in STRATEGIES:
        tiling = Tiling(2, 256, 64, s)
        est[s] = traffic(part, cfg, measure_densities(part, cfg), tiling)["total"]
        run, _ = _simulate(part, cfg, tiling)
        sim[s] = run.dram_bytes_read + run.dram_bytes_written
    assert len(set(est.values())) == 3, est
    assert sorted(STRATEGIES, key=est.get) == sorted(STRATEGIES, key=sim.get), (est, sim)
