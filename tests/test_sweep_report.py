"""The report and pareto.csv are rebuilt from the results table alone; reports/ knows
nothing of the simulator."""
from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pandas as pd

import soc
from soc.sweep.pareto import non_dominated
from tests.sweep_helpers import socsim_main


def test_report_rebuilt_from_the_table_alone(tmp_path):
    sweep_file = tmp_path / "s.yaml"
    sweep_file.write_text("workloads: [lenet5]\naxes: {tn: [8, 32], dram.technology: [lpddr4, ddr3]}\n"
                          "objectives: [energy, latency, area]\nconstraints: ['area_mm2 <= 1e3']\n")
    out = tmp_path / "out"
    code, stdout, err = socsim_main("sweep", str(sweep_file), "--out", str(out), "--workers", "1", "--no-progress")
    assert code == 0, err
    assert "4 points on process pool (1 worker): 4 evaluated now (0 failed)" in stdout
    pareto = pd.read_csv(out / "pareto.csv")
    table = pd.read_parquet(out / "results.parquet")
    assert set(pareto.front) == {"energy_pj vs time_s", "edp_pj_s vs area_mm2", "energy_pj vs area_mm2",
                                 "time_s vs area_mm2"}
    for x, y in [("energy_pj", "time_s"), ("edp_pj_s", "area_mm2")]:
        front = pareto[pareto.front == f"{x} vs {y}"]
        expected = table[non_dominated(table[[x, y]].to_numpy())]
        assert sorted(front.point) == sorted(expected.point)
    # more PEs: more area and fewer cycles
    by_tn = table.groupby("tn")[["area_mm2", "cycles"]].mean()
    assert by_tn.area_mm2[32] > by_tn.area_mm2[8] and by_tn.cycles[32] < by_tn.cycles[8]
    html = (out / "report.html").read_text()
    assert "Front: time_s against energy_pj" in html and html.count("data:image/png;base64,") >= 2

    # only the table: a copy of results.parquet in a fresh directory
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copytree(out / "results.parquet", alone / "results.parquet")
    code, stdout, err = socsim_main("sweep", "--report", str(alone))
    assert code == 0, err
    assert (alone / "report.html").is_file() and (alone / "plots" / "axis_effects.png").is_file()
    pd.testing.assert_frame_equal(pd.read_csv(alone / "pareto.csv"), pareto)

    code, _, err = socsim_main("sweep", "--report", str(tmp_path / "nothing"))
    assert code == 2 and "no sweep results here" in err


def test_soc_sweep_is_callable_and_lazy():
    import subprocess
    import sys
    code = ("import sys, soc; assert 'soc.sweep' not in sys.modules and 'pandas' not in sys.modules; "
            "import soc.sweep; assert callable(soc.sweep) and callable(soc.sweep.sweep)")
    subprocess.run([sys.executable, "-c", code], check=True)
    df = soc.sweep({"workloads": [{"network": "lenet5", "layers": ["ip2"]}], "axes": {"tn": [8, 16]}}, workers=1)
    assert isinstance(df, pd.DataFrame) and len(df) == 2
    assert not any(isinstance(v, (dict, list)) for v in df.iloc[0].tolist())  # flat columns


def test_reports_sweep_does_not_import_the_simulator():
    tree = ast.parse((Path(__file__).parents[1] / "reports" / "sweep.py").read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module]
    assert not [n for n in names if n.split(".")[0] in ("soc", "simpy")]


def test_axis_effects_show_null_values_and_fronts_grey_the_dominated():
    from reports.sweep import axis_effects_figure, front_figure
    df = pd.DataFrame({"status": ["ok", "ok", "ok", "failed"], "feasible": [True, True, False, None],
                       "strategy": [None, "input-reuse", None, "output-reuse"],
                       "energy_pj": [1.0, 2.0, 0.5, None], "time_s": [2.0, 1.0, 0.1, None]})
    fig = axis_effects_figure(df, ["strategy"], ["energy_pj", "time_s"])
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["input-reuse", "null"]
    fig = front_figure(df, "energy_pj", "time_s", pd.Series([True, True, False, False]))
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert labels == ["violates a constraint (1)", "Pareto front (2)"]
