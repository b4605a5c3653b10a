"""The ``socsim dataflows`` command on a small network (zoo replaced by fixed shapes)."""
import pandas as pd
import pytest
from typer.testing import CliRunner

from soc.cli import (
    app,
    commands,  # noqa: F401  (registers the sub-commands)
)
from soc.spatial import compare
from soc.spatial.shapes import conv, fc


def argv(*args):
    """typer runs a lone command without its name; with several it needs it."""
    return (["dataflows"] if len(app.registered_commands) > 1 else []) + list(args)


REQUIRED = ["layer", "kind", "dataflow", "macs", "energy_per_mac", "e_dram", "e_glb", "e_noc", "e_rf",
            "e_alu", "e_weights", "e_inputs", "e_psums", "dram_accesses_per_mac", "cycles", "utilization",
            "outputs_match_reference"]


@pytest.fixture
def tiny_zoo(monkeypatch):
    def shapes(network, batch, layer=None, **densities):
        if network != "tiny":
            raise ValueError(f"unknown network {network!r}; allowed: ['tiny']")
        out = [conv("conv1", batch, 3, 8, 9, 9, 3, stride=2, padding=1), fc("fc1", batch, 32, 10)]
        if layer is not None:
            out = [s for s in out if s.name == layer]
            if not out:
                raise ValueError(f"layer {layer!r} is not a conv or fc layer of tiny")
        return out
    monkeypatch.setattr(compare, "network_shapes", shapes)


def test_writes_table_and_plots(tiny_zoo, tmp_path):
    res = CliRunner().invoke(app, argv("tiny", "--pes", "16", "--batch", "2", "--workers", "1",
                                        "--out", str(tmp_path)))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "dataflows.csv")
    assert set(REQUIRED) <= set(df.columns)
    assert len(df) == 2 * 6
    assert set(df.dataflow) == {"WS", "OSA", "OSB", "OSC", "NLR", "RS"}
    assert set(df.kind) == {"conv", "fc"}
    assert df.outputs_match_reference.all()
    assert (df.checked_on == "full").all()
    parts = df.e_weights + df.e_inputs + df.e_psums + df.e_alu
    assert (abs(parts - df.energy_per_mac) < 1e-9).all()
    levels = df.e_dram + df.e_glb + df.e_noc + df.e_rf + df.e_alu
    assert (abs(levels - df.energy_per_mac) < 1e-9).all()
    assert (tmp_path / "energy_by_level.png").stat().st_size > 0
    assert (tmp_path / "energy_by_type.png").stat().st_size > 0
    for name, keys in (("energy_by_level.csv", ["alu", "rf", "noc", "glb", "dram"]),
                       ("energy_by_data_type.csv", ["alu", "weights", "inputs", "psums"])):
        split = pd.read_csv(tmp_path / name)
        assert split[keys].sum(axis=1).to_numpy() == pytest.approx(split["energy_per_mac"].to_numpy())
        for (kind, flow), part in df.dropna(subset=["energy_per_mac"]).groupby(["kind", "dataflow"]):
            row = split[(split.kind == kind) & (split.dataflow == flow)]
            expected = (part.energy_per_mac * part.macs).sum() / part.macs.sum()
            assert row["energy_per_mac"].iloc[0] == pytest.approx(expected)


def test_one_layer_and_another_table(tiny_zoo, tmp_path):
    res = CliRunner().invoke(app, argv("tiny", "--layer", "fc1", "--pes", "16", "--batch", "2",
                                        "--energy-table", "horowitz-45nm", "--workers", "1", "--out", str(tmp_path)))
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "dataflows.csv")
    assert list(df.layer.unique()) == ["fc1"]


@pytest.mark.parametrize("args,needle", [
    (["--pes", "0"], "pes"),
    (["--batch", "0"], "batch"),
    (["--energy-table", "nope"], "energy_table"),
    (["--dataflow", "XS"], "dataflow"),
    (["--layer", "nope"], "nope"),
])
def test_bad_input_is_a_user_error_naming_the_option(tiny_zoo, tmp_path, args, needle):
    from soc.cli import UserError
    res = CliRunner().invoke(app, argv("tiny", "--workers", "1", "--out", str(tmp_path), *args))
    assert isinstance(res.exception, UserError), res.output
    assert needle in str(res.exception)
