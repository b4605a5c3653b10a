"""A layer that cannot run (no tiling fits the buffers) stops the run with a clear error
naming it; the rows of the layers simulated before it stay in layers.csv and
summary.json records the failure."""
from __future__ import annotations

import csv
import json

import pytest

from soc.arch import design
from soc.runtime.network import NetworkRunError, run_network
from soc.session import run_into
from workloads.layers import FC, Activation, Network, Pool


def _network() -> Network:
    return Network("tiny", [Pool("pool", 4, (8, 8), 2, 2), Activation("act", (4, 4, 4)), FC("fc", 64, 32)],
                   (4, 8, 8))


def test_failing_layer_is_named_and_earlier_rows_are_kept(tmp_path):
    # NBout of 16 B: a half holds 8 B, one output tile of 16 outputs needs at least 32 B
    cfg = design("coarse-sparse", nbout={"size_bytes": 16, "bandwidth_bits": 1024})
    with pytest.raises(NetworkRunError) as info:
        run_into(tmp_path, _network(), cfg)
    assert info.value.layer == "fc"
    assert "layer 'fc' (fc) failed" in str(info.value) and "no tiling fits" in str(info.value)
    rows = list(csv.DictReader(open(tmp_path / "layers.csv")))
    assert [r["name"] for r in rows] == ["pool", "act"]
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["status"] == "failed"
    assert summary["failure"]["layer"] == "fc"
    assert summary["layers_completed"] == 2
    assert summary["network"] == "tiny" and summary["arch"] == "coarse-sparse"
    assert summary["cycles"] == sum(int(r["cycles"]) for r in rows) > 0


def test_unknown_layer_selection_is_refused():
    from workloads.zoo import get_network
    with pytest.raises(ValueError, match="unknown layer"):
        run_network(get_network("mlp"), design("dense"), layers=["ip9"])
