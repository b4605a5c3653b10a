"""The HTML report is self-contained (no network), complete and escaped."""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest

from reports.html import render_report, write_report
from reports.tables import layer_table, network_summary, preset_comparison
from reports_samples import sample_results

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
    return preset_comparison({
        "coarse-sparse": network_summary(sample_results(3, seed=1, scale=1.0)),
        "dense": network_summary(sample_results(3, seed=1, scale=3.0)),
    })


def test_report_is_self_contained_and_complete(tmp_path):
    results = sample_results(8)
    config = {"preset": "coarse-sparse", "pes": 16, "buffers": {"nbin_kb": 8, "nbout_kb": 8}}
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
    assert sum(1 for t in parser.tags if t == "img") == 3  # energy, cycles, preset ratios
    text = "\n".join(parser.text)
    for r in results:
        assert r["name"] in text
    for section in ("Run summary", "Preset comparison", "Plots", "Per-layer results", "Configuration used"):
        assert section in text
    assert '"nbin_kb": 8' in text  # config pretty-printed
    assert "speedup_vs_dense" in text


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
