"""Every column socsim writes is defined in the glossary, and docs/glossary.md is its text."""
from pathlib import Path

from reports.glossary import describe, markdown
from reports.metrics import METRICS
from reports.tables import ENTRY_COLUMNS
from soc.analysis import run
from soc.spatial.compare import COLUMNS as DATAFLOW_COLUMNS
from workloads.compress.report import COLUMNS as COMPRESSION_COLUMNS

ROOT = Path(__file__).resolve().parents[1]


def test_docs_glossary_is_generated_from_the_module():
    assert (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8") == markdown()


def test_every_column_is_defined():
    r = run("lenet5", "coarse-sparse")
    columns = list(r.layers().columns) + list(r.summary().columns) + list(r.outcome.summary)
    columns += list(METRICS) + list(ENTRY_COLUMNS) + ["share_pct", "dynamic_pj", "static_pj"]
    columns += list(COMPRESSION_COLUMNS) + list(DATAFLOW_COLUMNS)
    columns += ["speedup_vs_dense", "energy_ratio_vs_weight-sparse", "area_mm2", "power_mw",
                "area_by_component_mm2.sb", "accuracy", "parameters", "accuracy_per_joule"]
    missing = sorted({c for c in columns if describe(c) is None})
    assert not missing, f"columns without a glossary entry: {missing}"
    for name in ("r_p", "r_q", "r_c"):
        assert describe(name)[0] == name and "dense_bytes /" in describe(name)[2]
    assert "jbig_bytes_fine / jbig_bytes_coarse" in describe("r_irr")[2]
