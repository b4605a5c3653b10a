"""A run loads pandas, pyarrow and matplotlib only for its report, once the last layer
is simulated: while layers run, the process holds none of them (they would add about
85 MB and a fifth of a second before the first cycle)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in a fresh interpreter (this one has pandas loaded already). Every time the run
# announces a layer and every time a finished layer's row is written, it notes which
# of the heavy packages are loaded.
SCRIPT = textwrap.dedent("""
    import json, sys
    from pathlib import Path

    from reports.writer import RunWriter
    from soc.arch import design
    from soc.session import run_into

    HEAVY = ("pandas", "pyarrow", "matplotlib")
    out = Path(sys.argv[1])
    seen = []
    phase = None

    def loaded():
        return sorted(name for name in HEAVY if name in sys.modules)

    begin, add = RunWriter.begin_layer, RunWriter.add_layer

    def begin_layer(self, name):
        seen.append({"phase": phase, "when": "begin", "layer": name, "loaded": loaded()})
        return begin(self, name)

    def add_layer(self, result):
        row = add(self, result)
        seen.append({"phase": phase, "when": "added", "layer": row["name"], "loaded": loaded()})
        return row

    RunWriter.begin_layer, RunWriter.add_layer = begin_layer, add_layer
    report = {"at_start": loaded()}
    phase = "no-report"
    run_into(out / "plain", "lenet5", design("coarse-sparse"), report=False)
    report["after_no_report"] = loaded()
    phase = "report"
    outcome = run_into(out / "report", "lenet5", design("coarse-sparse"))
    report["after_report"] = loaded()
    report["layers"] = len(outcome.results)
    report["seen"] = seen
    print(json.dumps(report))
""")


def test_heavy_packages_are_loaded_only_after_the_last_layer(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["at_start"] == []
    for phase in ("no-report", "report"):
        calls = [s for s in report["seen"] if s["phase"] == phase]
        # every layer announced and every row written, the last one included
        assert len([s for s in calls if s["when"] == "added"]) == report["layers"] > 0
        assert calls[0]["when"] == "begin" and calls[-1]["when"] == "added"
        assert [s for s in calls if s["loaded"]] == [], "a heavy package was loaded while layers ran"
    # A run without its report never needs them: layers.csv and summary.json are written
    # with the csv and json modules.
    assert report["after_no_report"] == []
    assert (tmp_path / "plain" / "layers.csv").is_file() and (tmp_path / "plain" / "summary.json").is_file()
    assert not (tmp_path / "plain" / "report.html").exists()
    # The report needs its tables and figures.
    assert {"pandas", "matplotlib"} <= set(report["after_report"])
    assert (tmp_path / "report" / "report.html").is_file()
    assert (tmp_path / "report" / "plots" / "roofline.png").is_file()
