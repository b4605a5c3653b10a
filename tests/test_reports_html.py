"""The HTML report is self-contained (no network), complete and escaped."""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest
from reports_samples import sample_results

from reports.html import render_report, write_report
from reports.tables import design_comparison, layer_table, network_summary

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class _Collector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((tag, k, v or "") for k, v in attrs)

    def handle_data(self, data):
        self.text.append(data)


def _report(results, **kwargs):
    layers = layer_table(results)
    summary = network_summary(results) | {"peak_rss_mb": 88.5}
    return render_report(title="lenet5 on coarse-sparse", summary=summary, layers=layers, **kwargs)


def _comparison():
    return design_comparison({
        "coarse-sparse": network_summary(sample_results(3, seed=1, scale=1.0)),
        "dense": network_summary(sample_results(3, seed=1, scale=3.0)),
    })


def test_report_is_self_contained_and_complete(tmp_path):
    results = sample_results(8)
    config = {"arch": "coarse-sparse", "pes": 16, "buffers": {"nbin_kb": 8, "nbout_kb": 8}}
    path = write_report(tmp_path / "report.html", title="lenet5 on coarse-sparse",
                        summary=network_summary(results), layers=layer_table(results),
                        config=config, comparison=_comparison())
    page = path.read_text(encoding="utf-8")
    assert not re.search(r"https?:", page, flags=re.I)
    assert "//" not in re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # no protocol-relative URLs
    parser = _Collector()
    parser.feed(page)
    assert not {"script", "link", "iframe", "object", "embed"} & set(parser.tags)
    for tag, key, value in parser.attrs:
        assert key != "href", (tag, key, value)
        if key == "src":
            assert value.startswith("data:image/png;base64,")
            assert base64.b64decode(value.split(",", 1)[1]).startswith(PNG_MAGIC)
    assert sum(1 for t in parser.tags if t == "img") == 4  # energy, network breakdown, cycles, design ratios
    text = "\n".join(parser.text)
    for r in results:
        assert r["name"] in text
    for section in ("Run summary", "Design comparison", "Where the energy goes", "Roofline", "Efficiency",
                    "Area and power", "Per-layer results", "Glossary", "Configuration used"):
        assert section in text
    assert '"nbin_kb": 8' in text  # config pretty-printed
    assert 'title="speedup_vs_dense' in page  # header text breaks at underscores; its tooltip is the column name


def test_names_are_escaped():
    results = sample_results(2)
    results[0]["name"] = "<script>alert(1)</script>"
    page = _report(results, figures={})
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_failed_run_is_shown():
    results = sample_results(3)
    summary = network_summary(results) | {
        "status": "failed",
        "failure": {"layer": "conv4", "error_type": "TilingError", "message": "layer conv4 does not fit NBin"}}
    page = render_report(title="t", summary=summary, layers=layer_table(results), figures={})
    assert "Run failed" in page and "conv4 does not fit NBin" in page


def test_given_png_bytes_are_embedded_verbatim():
    png = PNG_MAGIC + b"not really a png but bytes"
    page = _report(sample_results(2), figures={"custom": png})
    assert base64.b64encode(png).decode() in page


@pytest.mark.parametrize("value, text", [(1234567, "1,234,567"), (0.123456, "0.1235"), (True, "yes")])
def test_values_are_formatted(value, text):
    page = render_report(title="t", summary={"x": value}, layers=layer_table(sample_results(2)), figures={})
    assert f"<td class=\"num\">{text}</td>" in page or f"<td>{text}</td>" in page


def test_comparison_report_and_bundles(tmp_path):
    import pandas as pd

    from reports.bundle import write_comparison_outputs, write_run_outputs
    from reports.writer import RunWriter

    designs = {"coarse-sparse": 1.0, "weight-sparse": 2.0, "dense": 4.0}
    summaries, tables = {}, {}
    for design, scale in designs.items():
        writer = RunWriter(tmp_path / design)
        for r in sample_results(4, seed=2, scale=scale):
            writer.add_layer(r)
        summaries[design] = writer.summary()
        tables[design] = writer.table()
        writer.finish(summaries[design])
        if design != "coarse-sparse":
            continue  # one run's outputs are enough (plots are slow to draw)
        paths = write_run_outputs(tmp_path / design, layers=tables[design], summary=summaries[design],
                                  title=f"net on {design}", config={"arch": design})
        assert {"network_csv", "energy_by_component_csv", "energy_by_action_csv", "report_html",
                "plot_energy_by_component", "plot_cycles_by_layer"} <= set(paths)
        net = pd.read_csv(paths["network_csv"])
        assert net.loc[0, "cycles"] == summaries[design]["cycles"]
        comp = pd.read_csv(paths["energy_by_component_csv"])
        assert comp["energy_pj"].sum() == pytest.approx(summaries[design]["energy_pj"], rel=1e-12)
    paths = write_comparison_outputs(tmp_path / "cmp", summaries=summaries, layers_by_design=tables,
                                     title="net: designs compared", config={p: {"arch": p} for p in designs})
    cmp = pd.read_csv(paths["compare_csv"])
    assert list(cmp.columns[:5]) == ["arch", "cycles", "energy_pj", "speedup_vs_dense", "energy_ratio_vs_dense"]
    assert cmp.set_index("arch").loc["coarse-sparse", "speedup_vs_dense"] == pytest.approx(
        summaries["dense"]["cycles"] / summaries["coarse-sparse"]["cycles"])
    page = paths["report_html"].read_text(encoding="utf-8")
    assert not re.search(r"https?:", page, flags=re.I)
    parser = _Collector()
    parser.feed(page)
    assert "script" not in parser.tags and "link" not in parser.tags
    assert all(v.startswith("data:image/png;base64,") for t, k, v in parser.attrs if k == "src")
    text = "\n".join(parser.text)
    for design in designs:
        assert design in text
    for name in tables["dense"]["name"]:
        assert name in text
