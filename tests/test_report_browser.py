"""The comparison report as a browser shows it: headless Chromium at 1280 px.

The page must fit 1280 px without sideways scrolling of the page (wide tables scroll
inside their own box), every figure must load, and the energy-breakdown, roofline and
area sections must be there. The check runs a copy of the report with a small script
added that measures the laid-out page and writes what it found into the DOM, which
Chromium prints (``--dump-dom``). Skipped, with the reason, where Chromium is absent.
"""
import json
import re
import shutil
import subprocess
import sys

import pytest

WIDTH = 1280
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")

PROBE = """
<script>
window.addEventListener("load", () => {
  const doc = document.documentElement;
  const imgs = Array.from(document.images);
  const wide = Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && !e.closest(".scroll"))
    .map(e => e.tagName + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""));
  const out = {
    innerWidth: window.innerWidth, scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth,
    images: imgs.length, loaded: imgs.filter(i => i.complete && i.naturalWidth > 0).length,
    sections: Array.from(document.querySelectorAll("h2[id]")).map(h => h.id),
    overflowing: wide.slice(0, 10),
  };
  const pre = document.createElement("pre");
  pre.id = "layout-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
});
</script>
"""


def _browser() -> str | None:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _chromium(browser: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           f"--window-size={WIDTH},900", *args], capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def compare_report(tmp_path_factory):
    browser = _browser()
    if browser is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium'; `make venv` installs it when run as "
                    "root): the browser check of the HTML report needs a headless browser")
    out = tmp_path_factory.mktemp("compare")
    res = subprocess.run([sys.executable, "-c", "from soc.cli import main; main()", "compare", "lenet5",
                          "--out", str(out)], capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    return browser, out / "report.html"


def test_report_fits_1280_px_and_every_figure_loads(compare_report, tmp_path):
    browser, report = compare_report
    page = report.read_text(encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(page.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    res = _chromium(browser, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    match = re.search(r'<pre id="layout-probe">(.*?)</pre>', res.stdout, flags=re.S)
    assert match, f"the probe did not run: {res.stderr[-2000:]}"
    found = json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))
    assert found["innerWidth"] == WIDTH
    assert found["scrollWidth"] <= found["clientWidth"], found       # no sideways page scroll
    assert not found["overflowing"], found["overflowing"]
    assert found["images"] >= 6 and found["loaded"] == found["images"], found
    assert {"energy-breakdown", "roofline", "area-power"} <= set(found["sections"]), found["sections"]


def test_screenshot_is_taken(compare_report, tmp_path):
    browser, report = compare_report
    shot = tmp_path / "report.png"
    res = _chromium(browser, f"--screenshot={shot}", report.as_uri())
    assert shot.exists() and shot.read_bytes().startswith(b"\x89PNG"), res.stderr[-2000:]
