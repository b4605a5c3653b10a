"""Accelergy interoperability: ERT/ART files in Accelergy's layout as a design's price
source, the design's own prices written as ERT/ART and read back, and bad tables."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from energy.accelergy import ART, ERT, AccelergyError
from soc.arch import design
from soc.cli import (
    app,
    commands,  # noqa: F401  (registers the sub-commands)
)
from soc.vector.pricing import Pricing, PricingError, price_table

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data" / "accelergy"


def _socsim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd)


def test_accelergy_04_tables_load():
    ert = ERT(DATA / "weight_stationary.ERT.yaml")
    glb = ert.find("shared_glb")
    assert glb == "system_top_level.shared_glb[1..1]"
    assert ert.energy(glb, "read")[0] == pytest.approx(31.90771)
    assert ert.energy(ert.find("mac"), "compute")[0] == pytest.approx(0.5611)
    assert float(ert.energy(ert.find("DRAM"), "leak")[1]["global_cycle_seconds"]) == pytest.approx(1e-9)
    art = ART(DATA / "weight_stationary.ART.yaml")
    assert art.areas[art.find("pe_spad")] == pytest.approx(1402.37)


def test_an_action_with_several_argument_combinations_takes_the_most_expensive():
    ert = ERT(DATA / "argument_combinations.ERT.yaml")
    spad = ert.find("scratchpad")
    assert spad == "design.scratchpad[0..2]"
    assert ert.energy(spad, "read")[0] == pytest.approx(8.75)        # address and data both change
    assert ert.energy(ert.find("mac"), "mac_random")[0] == pytest.approx(3.2)


def _foreign_dense(tmp_path: Path, **energy) -> Path:
    data = design("dense").model_dump(mode="json")
    data["energy"] = {"source": "accelergy", "ert": str(DATA / "dense_foreign.ERT.yaml"),
                      "art": str(DATA / "dense_foreign.ART.yaml"),
                      "names": {"nbin": "system.NBin", "sb": "system.SB", "nbout": "system.NBout",
                                "dram": "system.DRAM*0.125", "htree": "system.bus", "pe": "system.PE",
                                "pe.nonlinear": "lookup", "cp": "system.controller"}}
    data["energy"].update(energy)
    path = tmp_path / "dense-accelergy.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_a_foreign_ert_prices_a_design_through_the_name_mapping(tmp_path):
    from soc.arch import load_design
    cfg = load_design(_foreign_dense(tmp_path))
    p = Pricing(cfg)
    assert p("pe", "mac") == pytest.approx(1.3)          # mac -> mac_random
    assert p("sb", "write") == pytest.approx(9.6)        # write -> update
    assert p("htree", "hop") == pytest.approx(1.05)      # hop -> transfer
    assert p("pe", "nonlinear") == pytest.approx(0.09)   # names: pe.nonlinear -> lookup
    assert p.dram_pj_per_byte == pytest.approx(64.0)     # 512 pJ per 64-bit word x 0.125
    assert p.leakage_mw("sb") == pytest.approx(16 * 0.00128 * 1e-9 / 2e-9)   # leak at its own cycle
    assert p.leakage_mw("nbin") == pytest.approx(0.00016)    # 0.00016 pJ per 1 ns cycle
    assert p.area_by_component_mm2["sb"] == pytest.approx(16 * 0.212)
    assert p.area_mm2 == pytest.approx(0.0612 + 0.0581 + 16 * 0.212 + 0.04 + 16 * 0.0385 + 0.009)


def test_ert_written_and_read_back_gives_identical_prices(tmp_path):
    ert, art = tmp_path / "cs.ERT.yaml", tmp_path / "cs.ART.yaml"
    res = CliRunner().invoke(app, ["arch", "price", "coarse-sparse", "--set", "entropy_decoder.enabled=true",
                                   "--ert", str(ert), "--art", str(art)])
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(ert.read_text())["ERT"]["version"] == "0.4"
    base = design("coarse-sparse", entropy_decoder={"enabled": True})
    back = base.with_changes(energy={"source": "accelergy", "ert": str(ert), "art": str(art)})
    a, b = price_table(base), price_table(back)
    assert a.energy == b.energy                                  # identical, action by action
    for comp in a.components():
        assert b.leakage_mw[comp] == pytest.approx(a.leakage_mw[comp], rel=1e-12)
        assert b.area_mm2[comp] == pytest.approx(a.area_mm2[comp], rel=1e-12)


def test_a_layer_priced_from_its_own_ert_costs_the_same(tmp_path):
    from soc.runtime.network import run_network
    from workloads.zoo import get_network
    ert = tmp_path / "d.ERT.yaml"
    assert CliRunner().invoke(app, ["arch", "price", "dense", "--ert", str(ert)]).exit_code == 0
    base = design("dense")
    back = base.with_changes(energy={"source": "accelergy", "ert": str(ert)})
    net = get_network("mlp")
    a = run_network(net, base).summary
    b = run_network(net, back).summary
    assert b["cycles"] == a["cycles"] and b["energy_pj"] == pytest.approx(a["energy_pj"], rel=1e-12)
    assert b["area_mm2"] == pytest.approx(a["area_mm2"])          # no ART: areas from the estimators


def test_an_ert_missing_an_action_exits_2_naming_file_component_and_action(tmp_path):
    ert = tmp_path / "cut.ERT.yaml"
    assert CliRunner().invoke(app, ["arch", "price", "coarse-sparse", "--ert", str(ert)]).exit_code == 0
    data = yaml.safe_load(ert.read_text())
    for table in data["ERT"]["tables"]:
        if table["name"].startswith("coarse-sparse.pe["):
            table["actions"] = [a for a in table["actions"] if a["name"] != "decode"]
    ert.write_text(yaml.safe_dump(data))
    arch = tmp_path / "cs.yaml"
    cfg = design("coarse-sparse").model_dump(mode="json")
    cfg["energy"] = {"source": "accelergy", "ert": str(ert)}
    arch.write_text(yaml.safe_dump(cfg))
    out = tmp_path / "run"
    res = _socsim("run", "lenet5", "--arch", str(arch), "--out", str(out))
    assert res.returncode == 2
    assert str(ert) in res.stderr and "'decode'" in res.stderr and "pe" in res.stderr
    assert not (out / "layers.csv").exists()                      # refused before anything ran
    with pytest.raises(PricingError, match="decode"):
        price_table(design("coarse-sparse").with_changes(energy={"source": "accelergy", "ert": str(ert)}))


@pytest.mark.parametrize("text,match", [
    ("tables: []\n", "not an Accelergy ERT"),
    ("ERT: {version: '0.4', tables: [{name: x, actions: [{name: read, energy: -1}]}]}\n", "x.read.energy"),
    ("ERT: [\n", "not valid YAML"),
])
def test_bad_ert_files_name_the_file_and_the_field(tmp_path, text, match):
    path = tmp_path / "bad.ERT.yaml"
    path.write_text(text)
    with pytest.raises(AccelergyError, match=match) as info:
        ERT(path)
    assert str(path) in str(info.value)


def test_an_ert_without_a_component_names_the_mapping_to_give(tmp_path):
    with pytest.raises(PricingError, match="energy.names.nibin"):
        price_table(design("coarse-sparse").with_changes(
            energy={"source": "accelergy", "ert": str(DATA / "dense_foreign.ERT.yaml")}))


def test_arch_price_prints_every_component_and_the_totals():
    res = CliRunner().invoke(app, ["arch", "price", "weight-sparse"])
    assert res.exit_code == 0, res.output
    for word in ("nbin", "sb", "pe", "index-step", "total", "leakage mW", "area mm^2"):
        assert word in res.output
    res = CliRunner().invoke(app, ["arch", "price", "weight-sparse", "--json", "--set", "node_nm=28"])
    data = json.loads(res.output)
    assert data["node_nm"] == 28 and data["source"] == "estimators"
    assert data["total_area_mm2"] == pytest.approx(sum(c["area_mm2"] for c in data["components"].values()))
    assert "index-step" in data["components"]["pe"]["energy_pj"] and "nsm" not in data["components"]


def test_arch_price_with_a_table_source_uses_its_energies():
    res = CliRunner().invoke(app, ["arch", "price", "dense", "--set", "energy.source=table",
                                   "--set", "energy.table=reference-65nm", "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["components"]["pe"]["energy_pj"]["mac"] == pytest.approx(1.404144)
    assert data["components"]["sb"]["leakage_mw"] == pytest.approx(16 * 32 * 0.02)
    res = _socsim("arch", "price", "dense", "--set", "energy.source=accelergy", "--set", "energy.ert=nope.yaml")
    assert res.returncode == 2 and "nope.yaml" in res.stderr


def test_a_mapping_key_that_is_not_a_component_is_refused(tmp_path):
    from soc.arch import load_design
    cfg = load_design(_foreign_dense(tmp_path))
    bad = cfg.with_changes(energy={**cfg.energy.model_dump(), "names": {**cfg.energy.names, "nsm": "system.PE"}})
    with pytest.raises(PricingError, match="energy.names: nsm: not a component"):
        price_table(bad)
