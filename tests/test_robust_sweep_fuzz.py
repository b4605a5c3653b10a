"""Fuzzing the sweep-file loader: random and mutated sweep files either load or raise the
project's own typed error (``SweepError``), never another exception; and a catalogue of
bad sweep files, each refused by ``socsim sweep`` with exit 2 and one line naming the
field. (The sweep command and its loader live in soc/sweep; these tests run wherever it
is present.)"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soc.cli import is_input_error, run_cli

spec_module = pytest.importorskip("soc.sweep.spec")

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
TMP = Path(tempfile.mkdtemp(prefix="socsim-sweep-fuzz-"))
BASE = {"arch": "coarse-sparse", "workloads": ["lenet5"],
        "axes": {"tn": [16, 32], "nibin.size_bytes": [1024, 4096], "dram.technology": ["lpddr4", "hbm2"],
                 "seed": [0, 1]},
        "grid": "full", "objectives": ["energy_pj", "cycles"], "constraints": ["cycles <= 1e9"]}
scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**40), 2**40), st.floats(allow_nan=True,
                                                                                        allow_infinity=True),
                    st.sampled_from(["", "full", "random", "tn", "x", "16", "nan", "lenet5", "energy_pj",
                                     "cycles <= ", "area_mm2 >= 1", "coarse-sparse", "dense"]), st.text(max_size=10))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=3)),
                      max_leaves=8)


def loads_or_refuses(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - the point is to see what escapes
        if not is_input_error(exc):
            raise AssertionError(f"{type(exc).__module__}.{type(exc).__name__} escaped: {exc}") from exc
        return None


@FUZZ
@given(st.data())
def test_mutated_sweep_files(data):
    doc = copy.deepcopy(BASE)
    for _ in range(data.draw(st.integers(1, 3))):
        target = doc
        if data.draw(st.booleans()) and isinstance(doc.get("axes"), dict) and doc["axes"]:
            target = doc["axes"]
        key = data.draw(st.sampled_from(sorted(target, key=str) + ["extra", "random", "search", "metrics"]))
        if data.draw(st.integers(0, 4)) == 0:
            target.pop(key, None)
        else:
            target[key] = data.draw(values)
    path = TMP / "sweep.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True))
    loads_or_refuses(spec_module.load_spec, path, probe=False)


@FUZZ
@given(st.text(max_size=300))
def test_random_sweep_text(text):
    path = TMP / "random-sweep.yaml"
    path.write_text(text)
    loads_or_refuses(spec_module.load_spec, path, probe=False)


BAD_SWEEPS = [
    ("unknown-field", {"turbo": True}, "turbo"),
    ("axes-not-mapping", {"axes": [1, 2]}, "axes"),
    ("axis-unknown", {"axes": {"warp": [1, 2]}}, "warp"),
    ("axis-empty", {"axes": {"tn": []}}, "tn"),
    ("axis-scalar", {"axes": {"tn": 16}}, "tn"),
    ("axis-duplicate", {"axes": {"tn": [16, 16]}}, "tn"),
    ("axis-bad-value", {"axes": {"tn": [0, 16]}}, "tn"),
    ("axis-inf-bandwidth", {"axes": {"dram.bandwidth_bytes_per_cycle": [16.0, float("inf")]}},
     "dram.bandwidth_bytes_per_cycle"),
    ("workloads-empty", {"workloads": []}, "workloads"),
    ("workload-unknown", {"workloads": ["resnet9000"]}, "resnet9000"),
    ("workload-twice", {"workloads": ["lenet5", "lenet5"]}, "workloads"),
    ("arch-unknown", {"arch": "nosuch-design"}, "arch"),
    ("grid-unknown", {"grid": "diagonal"}, "grid"),
    ("objective-unknown", {"objectives": ["happiness"]}, "happiness"),
    ("constraint-malformed", {"constraints": ["cycles <<< 3"]}, "constraints"),
]


@pytest.mark.parametrize("cid,changes,named", BAD_SWEEPS, ids=[c[0] for c in BAD_SWEEPS])
def test_bad_sweep_files_are_refused_in_one_line(cid, changes, named, tmp_path, capsys):
    doc = {**copy.deepcopy(BASE), **changes}
    path = tmp_path / f"{cid}.yaml"
    path.write_text(yaml.safe_dump(doc))
    code = run_cli(["sweep", str(path), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith("error: ") and named in err[0], err
    assert str(path.name) in err[0] or "sweep" in err[0]
