"""No silent stall: a simulation made to stall through the test hook raises
SimulationStall naming the actors still waiting and what each waits for."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from soc.arch import design
from soc.runtime.network import NetworkRunError, run_network
from soc.runtime.simulate import simulate_layer
from soc.vector.watchdog import SimulationStall, cycle_bound, inject_fault
from workloads.layers import FC, Conv
from workloads.sparsity import layer_tensors
from workloads.zoo import get_network

FC_LAYER = FC("fc", 512, 256)
CONV_LAYER = Conv("conv", 32, 32, 3, (12, 12), padding=1)


@pytest.mark.parametrize("spec,block", [(FC_LAYER, (16, 16)), (CONV_LAYER, (16, 1, 1, 1))], ids=["fc", "conv"])
@pytest.mark.parametrize("arch", ["coarse-sparse", "dense", "weight-sparse"])
def test_deadlock_names_the_waiting_actors(spec, block, arch):
    cfg = design(arch)
    tensors = layer_tensors(spec, 0.3, 0.7, block, 0)
    healthy = simulate_layer(spec, tensors, cfg)
    with inject_fault("deadlock"), pytest.raises(SimulationStall) as err:
        simulate_layer(spec, tensors, cfg)
    text = str(err.value)
    assert f"layer '{spec.name}'" in text and "no event is pending" in text and "but work remains" in text
    assert "waits for" in text  # at least one actor and what it waits for
    assert "encoder (close) waits for" in text or "dma-" in text or "cp waits for" in text
    assert healthy.outputs_match_reference  # the hook changes nothing outside its block
    again = simulate_layer(spec, tensors, cfg)
    assert again.cycles == healthy.cycles


def test_runaway_time_is_stopped_at_the_bound_derived_from_the_layer():
    cfg = design("coarse-sparse")
    tensors = layer_tensors(FC_LAYER, 0.3, 0.7, (16, 16), 0)
    with inject_fault("livelock"), pytest.raises(SimulationStall) as err:
        simulate_layer(FC_LAYER, tensors, cfg)
    text = str(err.value)
    assert "simulated time passed" in text and "the bound derived from the layer" in text
    assert "spinner (injected fault) waits for a delay" in text


def test_the_bound_is_far_above_real_layers():
    """The watchdog must never fire on a healthy layer: the bound exceeds measured cycles
    by a wide margin on every shipped design."""
    for arch in ("coarse-sparse", "dense", "weight-sparse", "activation-sparse"):
        cfg = design(arch)
        for spec, block in ((FC_LAYER, (16, 16)), (CONV_LAYER, (16, 1, 1, 1))):
            r = simulate_layer(spec, layer_tensors(spec, 1.0, 1.0, block, 0), cfg)
            n_in = int(np.prod(spec.weight_shape[1:]))
            bound = cycle_bound(instructions=1, dense_macs=r.dense_macs, tm=cfg.tm, onchip_bytes=0,
                                bytes_per_cycle=1.0, latency_cycles=0, hop_cycles=0, levels=0)
            assert r.cycles * 4 < bound, (arch, spec.name, r.cycles, bound, n_in)


def test_a_network_run_reports_the_stall_as_the_failed_layer():
    with inject_fault("deadlock"), pytest.raises(NetworkRunError) as err:
        run_network(get_network("mlp"), design("coarse-sparse"))
    assert err.value.layer == "ip1" and isinstance(err.value.error, SimulationStall)


def test_the_stall_is_raised_within_a_bounded_time(tmp_path):
    """In a subprocess with a time limit: a stalled simulation ends with the error, it
    does not hang (the limit is a guard against hanging, not a speed assertion)."""
    code = ("from soc.vector.watchdog import inject_fault\n"
            "from soc.cli import run_cli\n"
            "import sys\n"
            "with inject_fault('livelock'):\n"
            "    sys.exit(run_cli(['run', 'mlp', '--out', 'out']))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                         cwd=tmp_path)
    assert res.returncode == 2, res.stderr
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("error: layer 'ip1' (fc) failed: SimulationStall") and "waits for" in last
