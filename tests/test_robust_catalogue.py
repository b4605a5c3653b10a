"""The catalogue of bad inputs: every command and loader, each refused with exit 2 and one
line on stderr naming the field (or option, file, node, line) at fault.

Each case runs the command line in-process (:func:`soc.cli.run_cli`, the function the
``socsim`` script runs), with the files it needs written into a temporary directory. A
case passes only if the exit status is 2, stderr is exactly one line starting with
``error:``, that line names what it must, no Python traceback is printed and nothing was
simulated. A few cases run the real console script in a subprocess at the end.
"""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from soc.cli import run_cli

ROOT = Path(__file__).resolve().parents[1]
DESIGN = yaml.safe_load((ROOT / "soc/arch/designs/coarse-sparse.yaml").read_text())
TABLE = yaml.safe_load((ROOT / "energy/tables/reference-65nm.yaml").read_text())
SMALL_NET = {"name": "tiny", "input_shape": [3, 8, 8], "layers": [
    {"type": "conv", "name": "c1", "out_channels": 4, "kernel": 3, "padding": 1},
    {"type": "relu", "name": "r1"},
    {"type": "pool", "name": "p1", "kernel": 2, "stride": 2},
    {"type": "lrn", "name": "n1"},
    {"type": "fc", "name": "f1", "out_features": 10}]}
RNN_NET = {"name": "rnn", "input_shape": [16], "layers": [
    {"type": "lstm", "name": "l1", "hidden_size": 8},
    {"type": "gru", "name": "g1", "hidden_size": 8}]}
CSV_HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,"

# --------------------------------------------------------------------------- files
FILES: dict[str, str | bytes] = {"cmp-with-file/weight-sparse": "a file where a design's directory goes"}


def _design(fname: str, /, **changes) -> str:
    data = copy.deepcopy(DESIGN)
    for path, value in changes.items():
        node = data
        keys = path.split("__")
        for k in keys[:-1]:
            node = node.setdefault(k, {})
        if value is _DELETE:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    data["name"] = data.get("name", fname) if "name" in changes else fname
    FILES[f"{fname}.yaml"] = yaml.safe_dump(data, sort_keys=False)
    return f"{{d}}/{fname}.yaml"


_DELETE = object()


def _net(fname: str, base: dict, layer: int | None = None, /, **changes) -> str:
    data = copy.deepcopy(base)
    target = data if layer is None else data["layers"][layer]
    for k, v in changes.items():
        if v is _DELETE:
            target.pop(k, None)
        else:
            target[k] = v
    FILES[f"{fname}.yaml"] = yaml.safe_dump(data, sort_keys=False)
    return f"{{d}}/{fname}.yaml"


def _raw(name: str, text: str | bytes) -> str:
    FILES[name] = text
    return f"{{d}}/{name}"


def _table(name: str, mutate) -> str:
    data = copy.deepcopy(TABLE)
    mutate(data)
    FILES[f"{name}.table.yaml"] = yaml.safe_dump(data, sort_keys=False)
    return _design(f"uses-{name}", energy={"source": "table", "table": f"{{d}}/{name}.table.yaml"})


CASES: list[tuple[str, list[str], list[str]]] = []


def case(cid: str, argv: list[str], *named: str) -> None:
    CASES.append((cid, argv, list(named)))


# --------------------------------------------------------------------------- design fields (--set)
SET_CASES = [
    ("tn=0", "tn"), ("tn=5000", "tn"), ("tn=true", "tn"), ("tn=x", "tn"), ("tn=1.5", "tn"), ("tn=null", "tn"),
    ("tm=0", "tm"), ("tm=2048", "tm"), ("tm='16'", "tm"),
    ("data_bits=12", "data_bits"), ("data_bits=32", "data_bits"), ("acc_bits=32", "acc_bits"),
    ("frac_bits=16", "frac_bits"), ("frac_bits=-1", "frac_bits"),
    ("clock_ghz=0", "clock_ghz"), ("clock_ghz=.inf", "clock_ghz"), ("clock_ghz=.nan", "clock_ghz"),
    ("clock_ghz=100", "clock_ghz"), ("clock_ghz=fast", "clock_ghz"),
    ("node_nm=1", "node_nm"), ("node_nm=1000", "node_nm"), ("vdd_v=5", "vdd_v"), ("vdd_v=0", "vdd_v"),
    ("nbin.size_bytes=0", "nbin.size_bytes"), ("nbin.size_bytes=2147483648", "nbin.size_bytes"),
    ("nbin.bandwidth_bits=0", "nbin.bandwidth_bits"), ("nbin.bandwidth_bits=8", "nbin.bandwidth_bits"),
    ("nbin.banks=0", "nbin.banks"), ("nbin.memory=dram", "nbin.memory"), ("nbin.ping_pong='no'", "nbin.ping_pong"),
    ("nbin.ping_pong=2", "nbin.ping_pong"), ("nbout.size_bytes=-8", "nbout.size_bytes"),
    ("sb.size_bytes=1.5", "sb.size_bytes"), ("sb.bandwidth_bits=4", "sb.bandwidth_bits"),
    ("nibin=null", "nibin"), ("sib=null", "sib"), ("ib.size_bytes=0", "ib.size_bytes"),
    ("dram.technology=ddr5", "dram.technology"), ("dram.bandwidth_bytes_per_cycle=.inf", "dram.bandwidth_bytes_per_cycle"),
    ("dram.bandwidth_bytes_per_cycle=0", "dram.bandwidth_bytes_per_cycle"),
    ("dram.bandwidth_bytes_per_cycle=1e9", "dram.bandwidth_bytes_per_cycle"),
    ("dram.bandwidth_bytes_per_cycle=.nan", "dram.bandwidth_bytes_per_cycle"),
    ("dram.latency_cycles=-1", "dram.latency_cycles"), ("dram.latency_cycles=1.5", "dram.latency_cycles"),
    ("dram.burst_bytes=1073741824", "dram.burst_bytes"), ("dram.burst_bytes=0", "dram.burst_bytes"),
    ("htree.hop_cycles=-1", "htree.hop_cycles"), ("htree.wire_mm_per_level=0", "htree.wire_mm_per_level"),
    ("entropy_decoder.saving=1", "entropy_decoder.saving"), ("entropy_decoder.per_pe=0", "entropy_decoder.per_pe"),
    ("entropy_decoder.enabled='yes'", "entropy_decoder.enabled"),
    ("entropy_decoder.area_mm2=.inf", "entropy_decoder.area_mm2"),
    ("neuron_format=sparse", "neuron_format"), ("weight_format=csr", "weight_format"),
    ("weight_bits=0", "weight_bits"), ("weight_bits=17", "weight_bits"), ("weight_decoder=rom", "weight_decoder"),
    ("weight_decoder=none", "weight_decoder"), ("encoder='maybe'", "encoder"), ("encoder=false", "encoder"),
    ("skip_zero_activations=false", "skip_zero_activations"), ("neuron_format=dense", "skip_zero_activations"),
    ("energy.source=magic", "energy.source"), ("energy.source=table", "energy.table"),
    ("energy.source=accelergy", "energy.ert"), ("foo=1", "foo"), ("nbin.foo=1", "nbin.foo"), ("kind=spatial", "kind"),
    ("name=", "name"), ("tn", "--set"), ("=3", "--set"),
]
for i, (assignment, field) in enumerate(SET_CASES):
    case(f"set-{i}-{assignment}", ["run", "mlp", "--out", "{d}/out", "--set", assignment], field)
case("set-weight-format-step-bitmask", ["run", "mlp", "--out", "{d}/out", "--set", "weight_format=step-indexed"],
     "weight_format")
case("layer-set-tn", ["layer", "--out", "{d}/out", "--set", "tn=-3"], "tn")
case("explain-set", ["explain", "lenet5", "--set", "dram.burst_bytes=1073741824"], "dram.burst_bytes")
case("compare-set", ["compare", "mlp", "--out", "{d}/out", "--set", "clock_ghz=.inf"], "clock_ghz")
case("arch-show-set", ["arch", "show", "coarse-sparse", "--set", "tm=0"], "tm")
case("arch-show-set-unknown", ["arch", "show", "dense", "--set", "nope.x=1"], "nope.x")

# --------------------------------------------------------------------------- design files
case("design-not-mapping", ["run", "mlp", "--out", "{d}/out", "--arch", _raw("list.yaml", "- 1\n- 2\n")], "list.yaml")
case("design-bad-yaml", ["run", "mlp", "--out", "{d}/out", "--arch", _raw("broken.yaml", "tn: [1,\n")], "broken.yaml")
case("design-missing", ["run", "mlp", "--out", "{d}/out", "--arch", "{d}/absent.yaml"], "absent.yaml")
case("design-unknown-name", ["run", "mlp", "--out", "{d}/out", "--arch", "nosuch-design"], "--arch")
case("design-kind-missing", ["run", "mlp", "--out", "{d}/out", "--arch", _design("nokind", kind=_DELETE)], "kind")
case("design-kind-wrong", ["run", "mlp", "--out", "{d}/out", "--arch", _design("badkind", kind="systolic")], "kind")
case("design-spatial-for-run", ["run", "mlp", "--out", "{d}/out", "--arch",
                                _raw("sp.yaml", "kind: spatial\nname: sp\n")], "spatial")
case("design-string-int", ["run", "mlp", "--out", "{d}/out", "--arch", _design("strint", tn="16")], "tn")
case("design-bool-int", ["run", "mlp", "--out", "{d}/out", "--arch", _design("boolint", tm=True)], "tm")
case("design-string-bool", ["run", "mlp", "--out", "{d}/out", "--arch", _design("strbool", encoder="false")], "encoder")
case("design-unknown-field", ["run", "mlp", "--out", "{d}/out", "--arch", _design("extra", turbo=True)], "turbo")
case("design-nested-unknown", ["run", "mlp", "--out", "{d}/out", "--arch", _design("nestx", dram__speed=3)],
     "dram.speed")
case("design-inf-bandwidth", ["run", "mlp", "--out", "{d}/out", "--arch",
                              _design("infbw", dram__bandwidth_bytes_per_cycle=float("inf"))], "bandwidth_bytes_per_cycle")
case("design-huge-burst", ["run", "mlp", "--out", "{d}/out", "--arch", _design("burst", dram__burst_bytes=1 << 30)],
     "burst_bytes")
case("design-nan-clock", ["run", "mlp", "--out", "{d}/out", "--arch", _design("nanclk", clock_ghz=float("nan"))],
     "clock_ghz")
case("design-name-empty", ["run", "mlp", "--out", "{d}/out", "--arch", _design("noname", name="")], "name")
case("design-buffer-list", ["run", "mlp", "--out", "{d}/out", "--arch", _design("buflist", nbin=[1, 2])], "nbin")
case("design-edram-ping", ["run", "mlp", "--out", "{d}/out", "--arch", _design("pp", sb__ping_pong="off")],
     "sb.ping_pong")
case("design-wrong-extension", ["run", "mlp", "--out", "{d}/out", "--arch", _raw("design.txt", "tn: 3\n")], "--arch")
case("design-empty-file", ["run", "mlp", "--out", "{d}/out", "--arch", _raw("empty-design.yaml", "")],
     "empty-design.yaml")
case("compare-duplicate-names", ["compare", "mlp", "--out", "{d}/out", "--arch", "dense", "--arch",
                                 _design("dense", weight_bits=16, weight_decoder="none")], "dense")
case("preset-and-arch", ["run", "mlp", "--out", "{d}/out", "--arch", "dense", "--preset", "coarse-sparse"], "--preset")

# --------------------------------------------------------------------------- energy tables
case("table-missing-file", ["run", "mlp", "--out", "{d}/out", "--arch",
                            _design("tbl-missing", energy={"source": "table", "table": "{d}/nosuch.yaml"})],
     "nosuch.yaml")
case("table-unknown-name", ["run", "mlp", "--out", "{d}/out", "--arch",
                            _design("tbl-unknown", energy={"source": "table", "table": "reference-7nm"})],
     "reference-7nm")
case("table-primitive-as-design", ["run", "mlp", "--out", "{d}/out", "--arch",
                                   _design("tbl-prim", energy={"source": "table", "table": "horowitz-45nm"})],
     "energy.table")
case("table-missing-pe-mac", ["run", "mlp", "--out", "{d}/out", "--arch",
                              _table("nomac", lambda t: t["components"]["pe"].pop("mac"))], "nomac.table.yaml", "'pe' action 'mac'")
case("table-missing-nsm", ["run", "mlp", "--out", "{d}/out", "--arch",
                           _table("nonsm", lambda t: t["components"].pop("nsm"))], "nonsm.table.yaml", "nsm")
case("table-missing-buffer", ["run", "mlp", "--out", "{d}/out", "--arch",
                              _table("nosib", lambda t: t["components"].pop("sib"))], "nosib.table.yaml", "sib")
case("table-missing-static", ["run", "mlp", "--out", "{d}/out", "--arch",
                              _table("noleak", lambda t: t["static"].pop("pe_leak_mw"))], "noleak.table.yaml",
     "pe_leak_mw")
case("table-negative-price", ["run", "mlp", "--out", "{d}/out", "--arch",
                              _table("negpj", lambda t: t["components"]["pe"]["mac"].update(pj=-1.0))],
     "negpj.table.yaml", "pj")
case("table-nan-price", ["run", "mlp", "--out", "{d}/out", "--arch",
                         _table("nanpj", lambda t: t["components"]["nbin"]["read"].update(pj=float("nan")))],
     "nanpj.table.yaml", "pj")
case("table-inf-price", ["run", "mlp", "--out", "{d}/out", "--arch",
                         _table("infpj", lambda t: t["components"]["dram"]["read"].update(pj=float("inf")))],
     "infpj.table.yaml", "pj")
case("table-string-price", ["run", "mlp", "--out", "{d}/out", "--arch",
                            _table("strpj", lambda t: t["components"]["pe"]["add"].update(pj="cheap"))],
     "strpj.table.yaml", "pj")
case("table-kind-wrong", ["run", "mlp", "--out", "{d}/out", "--arch",
                          _table("badkind", lambda t: t.update(kind="lookup"))], "badkind.table.yaml", "kind")
case("table-unknown-field", ["run", "mlp", "--out", "{d}/out", "--arch",
                             _table("extra", lambda t: t.update(vendor="x"))], "extra.table.yaml", "vendor")
case("table-bad-node", ["run", "mlp", "--out", "{d}/out", "--arch",
                        _table("badnode", lambda t: t.update(node_nm=-65))], "badnode.table.yaml", "node_nm")
FILES["broken.table.yaml"] = "components: {pe: [\n"
case("table-bad-yaml", ["run", "mlp", "--out", "{d}/out", "--arch",
                        _design("tbl-broken", energy={"source": "table", "table": "{d}/broken.table.yaml"})],
     "broken.table.yaml")
case("layer-table-incomplete", ["layer", "--out", "{d}/out", "--arch",
                                _table("nomac2", lambda t: t["components"]["pe"].pop("mac"))], "'mac'")

# --------------------------------------------------------------------------- network files (YAML)
NET_CASES = [
    ("ceil-mode-string", SMALL_NET, 2, {"ceil_mode": "no"}, "ceil_mode"),
    ("ceil-mode-int", SMALL_NET, 2, {"ceil_mode": 1}, "ceil_mode"),
    ("peepholes-string", RNN_NET, 0, {"peepholes": "false"}, "peepholes"),
    ("lrn-alpha-string", SMALL_NET, 3, {"alpha": "x"}, "alpha"),
    ("lrn-alpha-negative", SMALL_NET, 3, {"alpha": -1e-4}, "alpha"),
    ("lrn-beta-negative", SMALL_NET, 3, {"beta": -0.75}, "beta"),
    ("lrn-k-zero", SMALL_NET, 3, {"k": 0}, "k"),
    ("lrn-k-negative", SMALL_NET, 3, {"k": -2.0}, "k"),
    ("lrn-alpha-nan", SMALL_NET, 3, {"alpha": float("nan")}, "alpha"),
    ("lrn-alpha-inf", SMALL_NET, 3, {"alpha": float("inf")}, "alpha"),
    ("lrn-beta-inf", SMALL_NET, 3, {"beta": float("inf")}, "beta"),
    ("lrn-k-nan", SMALL_NET, 3, {"k": float("nan")}, "k"),
    ("lrn-size-even", SMALL_NET, 3, {"size": 4}, "size"),
    ("lrn-size-zero", SMALL_NET, 3, {"size": 0}, "size"),
    ("lrn-size-bool", SMALL_NET, 3, {"size": True}, "size"),
    ("conv-kernel-zero", SMALL_NET, 0, {"kernel": 0}, "kernel"),
    ("conv-kernel-string", SMALL_NET, 0, {"kernel": "3"}, "kernel"),
    ("conv-kernel-float", SMALL_NET, 0, {"kernel": 3.0}, "kernel"),
    ("conv-kernel-too-big", SMALL_NET, 0, {"kernel": 20}, "kernel"),
    ("conv-stride-zero", SMALL_NET, 0, {"stride": 0}, "stride"),
    ("conv-stride-bool", SMALL_NET, 0, {"stride": True}, "stride"),
    ("conv-padding-negative", SMALL_NET, 0, {"padding": -1}, "padding"),
    ("conv-groups-not-dividing", SMALL_NET, 0, {"groups": 3}, "groups"),
    ("conv-out-channels-string", SMALL_NET, 0, {"out_channels": "16"}, "out_channels"),
    ("conv-out-channels-zero", SMALL_NET, 0, {"out_channels": 0}, "out_channels"),
    ("conv-out-channels-null", SMALL_NET, 0, {"out_channels": None}, "out_channels"),
    ("conv-kernel-triple", SMALL_NET, 0, {"kernel": [3, 3, 3]}, "kernel"),
    ("conv-unknown-key", SMALL_NET, 0, {"dilation": 2}, "dilation"),
    ("conv-missing-key", SMALL_NET, 0, {"out_channels": _DELETE}, "out_channels"),
    ("conv-huge", SMALL_NET, 0, {"out_channels": 1 << 20}, "at most"),
    ("pool-mode", SMALL_NET, 2, {"mode": "min"}, "mode"),
    ("pool-stride-missing", SMALL_NET, 2, {"stride": _DELETE}, "stride"),
    ("pool-padding-too-big", SMALL_NET, 2, {"padding": 2}, "padding"),
    ("fc-out-features-float", SMALL_NET, 4, {"out_features": 10.5}, "out_features"),
    ("fc-out-features-negative", SMALL_NET, 4, {"out_features": -10}, "out_features"),
    ("fc-huge", SMALL_NET, 4, {"out_features": 1 << 23}, "at most"),
    ("fc-after-wide-conv", SMALL_NET, 0, {"out_channels": 1 << 13}, "inputs per output"),
    ("type-unknown", SMALL_NET, 1, {"type": "gelu"}, "gelu"),
    ("type-list", SMALL_NET, 1, {"type": ["relu"]}, "type"),
    ("name-null", SMALL_NET, 1, {"name": None}, "name"),
    ("name-list", SMALL_NET, 1, {"name": ["r1"]}, "name"),
    ("name-duplicate", SMALL_NET, 1, {"name": "c1"}, "c1"),
    ("name-reserved", SMALL_NET, 1, {"name": "input"}, "input"),
    ("input-unknown", SMALL_NET, 1, {"input": "nowhere"}, "nowhere"),
    ("input-list", SMALL_NET, 1, {"input": ["c1"]}, "input"),
    ("lstm-hidden-zero", RNN_NET, 0, {"hidden_size": 0}, "hidden_size"),
    ("lstm-proj-negative", RNN_NET, 0, {"proj_size": -1}, "proj_size"),
    ("gru-hidden-string", RNN_NET, 1, {"hidden_size": "8"}, "hidden_size"),
    ("lstm-missing-hidden", RNN_NET, 0, {"hidden_size": _DELETE}, "hidden_size"),
    ("conv-nonsquare-stride", SMALL_NET, 0, {"stride": [1, 2]}, "stride"),
    ("conv-nonsquare-padding", SMALL_NET, 0, {"padding": [1, 0]}, "padding"),
]
for cid, base, idx, changes, field in NET_CASES:
    case(f"net-{cid}", ["run", _net(f"net-{cid}", base, idx, **changes), "--out", "{d}/out"], field)
TOP_CASES = [
    ("input-shape-empty", {"input_shape": []}, "input_shape"),
    ("input-shape-2d", {"input_shape": [8, 8]}, "input_shape"),
    ("input-shape-zero", {"input_shape": [3, 0, 8]}, "input_shape"),
    ("input-shape-string", {"input_shape": ["3", 8, 8]}, "input_shape"),
    ("input-shape-bool", {"input_shape": [True, 8, 8]}, "input_shape"),
    ("input-shape-huge", {"input_shape": [3, 1 << 22, 8]}, "input_shape"),
    ("layers-empty", {"layers": []}, "layers"),
    ("layers-mapping", {"layers": {"a": 1}}, "layers"),
    ("top-unknown", {"batch": 4}, "batch"),
    ("name-int", {"name": 5}, "name"),
]
for cid, changes, field in TOP_CASES:
    case(f"net-{cid}", ["run", _net(f"net-{cid}", SMALL_NET, None, **changes), "--out", "{d}/out"], field)
case("net-layer-not-mapping", ["run", _raw("net-layer-str.yaml", "input_shape: [4]\nlayers: [relu]\n"), "--out",
                               "{d}/out"], "layer 1")
case("net-bad-yaml", ["run", _raw("net-broken.yaml", "input_shape: [4\nlayers:\n"), "--out", "{d}/out"],
     "net-broken.yaml")
case("net-empty", ["run", _raw("net-empty.yaml", ""), "--out", "{d}/out"], "net-empty.yaml")
case("net-scalar", ["run", _raw("net-scalar.yaml", "42\n"), "--out", "{d}/out"], "net-scalar.yaml")
case("net-missing-file", ["run", "{d}/nothere.yaml", "--out", "{d}/out"], "nothere.yaml")
case("net-shape-mismatch", ["run", _raw("net-mismatch.yaml", yaml.safe_dump({
    "input_shape": [3, 8, 8], "layers": [{"type": "conv", "name": "a", "out_channels": 4, "kernel": 3},
                                         {"type": "add", "name": "s", "inputs": ["a", "input"]}]})),
      "--out", "{d}/out"], "layer s")
case("net-add-one-input", ["run", _raw("net-add1.yaml", yaml.safe_dump({
    "input_shape": [4], "layers": [{"type": "relu", "name": "a"}, {"type": "add", "name": "s", "inputs": ["a"]}]})),
      "--out", "{d}/out"], "inputs")
case("net-unknown-type-suffix", ["run", _raw("net.json", "{}"), "--out", "{d}/out"], "net.json")
case("explain-bad-net", ["explain", _net("explain-bad", SMALL_NET, 2, ceil_mode="yes")], "ceil_mode")
case("compare-bad-net", ["compare", _net("compare-bad", SMALL_NET, 3, alpha="x"), "--out", "{d}/out"], "alpha")

# --------------------------------------------------------------------------- topology CSV files
CSV_CASES = [
    ("no-header", "conv1, 8, 8, 3, 3, 3, 4, 1,\n", "Layer name"),
    ("missing-column", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Strides,\n"
                       "conv1, 8, 8, 3, 3, 3, 1,\n", "Num Filter"),
    ("not-integer", f"{CSV_HEADER}\nconv1, 8, eight, 3, 3, 3, 4, 1,\n", "IFMAP Width"),
    ("zero", f"{CSV_HEADER}\nconv1, 8, 8, 3, 3, 0, 4, 1,\n", "Channels"),
    ("negative", f"{CSV_HEADER}\nconv1, 8, 8, 3, 3, 3, -4, 1,\n", "Num Filter"),
    ("float", f"{CSV_HEADER}\nconv1, 8, 8, 3, 3, 3, 4, 1.5,\n", "Strides"),
    ("filter-too-big", f"{CSV_HEADER}\nconv1, 8, 8, 9, 3, 3, 4, 1,\n", "filter"),
    ("stride-zero", f"{CSV_HEADER}\nconv1, 8, 8, 3, 3, 3, 4, 0,\n", "Strides"),
    ("missing-value", f"{CSV_HEADER}\nconv1, 8, , 3, 3, 3, 4, 1,\n", "IFMAP Width"),
    ("only-header", f"{CSV_HEADER}\n", "no layer"),
    ("empty", "", "empty"),
]
for cid, text, field in CSV_CASES:
    case(f"csv-{cid}", ["run", _raw(f"topo-{cid}.csv", text), "--out", "{d}/out"], field)

# --------------------------------------------------------------------------- ONNX files
case("onnx-garbage", ["run", _raw("garbage.onnx", b"\x00\x01not a model\xff" * 10), "--out", "{d}/out"], "garbage.onnx")
case("onnx-empty", ["run", _raw("empty.onnx", b""), "--out", "{d}/out"], "empty.onnx")
case("onnx-text", ["run", _raw("text.onnx", "ir_version: 7\n"), "--out", "{d}/out"], "text.onnx")

# --------------------------------------------------------------------------- command-line options
OPT = [
    ("run-seed-negative", ["run", "mlp", "--out", "{d}/out", "--seed", "-1"], "--seed"),
    ("run-seed-huge", ["run", "mlp", "--out", "{d}/out", "--seed", str(2**32)], "--seed"),
    ("run-seed-text", ["run", "mlp", "--out", "{d}/out", "--seed", "x"], "--seed"),
    ("run-strategy", ["run", "mlp", "--out", "{d}/out", "--strategy", "fastest"], "--strategy"),
    ("run-layers-empty", ["run", "mlp", "--out", "{d}/out", "--layers", ","], "--layers"),
    ("run-layers-unknown", ["run", "mlp", "--out", "{d}/out", "--layers", "ip9"], "--layers"),
    ("run-pes-zero", ["run", "mlp", "--out", "{d}/out", "--pes", "0"], "tn"),
    ("run-pes-huge", ["run", "mlp", "--out", "{d}/out", "--pes", "99999"], "tn"),
    ("run-pes-text", ["run", "mlp", "--out", "{d}/out", "--pes", "many"], "--pes"),
    ("run-unknown-network", ["run", "resnet9000", "--out", "{d}/out"], "resnet9000"),
    ("run-script-missing", ["run", "{d}/missing.py", "--out", "{d}/out"], "missing.py"),
    ("run-script-syntax", ["run", _raw("bad.py", "def run(handle:\n"), "--out", "{d}/out"], "bad.py"),
    ("run-script-no-run", ["run", _raw("norun.py", "x = 1\n"), "--out", "{d}/out"], "run(handle)"),
    ("run-script-layers", ["run", _raw("ok.py", "def run(handle):\n    pass\n"), "--out", "{d}/out", "--layers", "a"],
     "--layers"),
    ("run-out-is-file", ["run", "mlp", "--out", _raw("a-file", "x")], "--out"),
    ("run-out-under-file", ["run", "mlp", "--out", _raw("b-file", "x") + "/sub"], "--out"),
    ("run-out-proc", ["run", "mlp", "--out", "/proc/socsim-catalogue"], "--out"),
    ("run-out-sys", ["run", "mlp", "--out", "/sys/kernel/socsim-catalogue"], "--out"),
    ("run-unknown-option", ["run", "mlp", "--turbo"], "--turbo"),
    ("run-missing-network", ["run"], "NETWORK"),
    ("unknown-command", ["simulate", "mlp"], "simulate"),
    ("layer-kind", ["layer", "--out", "{d}/out", "--kind", "lstm"], "--kind"),
    ("layer-n-in-zero", ["layer", "--out", "{d}/out", "--n-in", "0"], "--n-in"),
    ("layer-n-in-negative", ["layer", "--out", "{d}/out", "--n-in", "-5"], "--n-in"),
    ("layer-n-in-huge", ["layer", "--out", "{d}/out", "--n-in", str(1 << 21)], "--n-in"),
    ("layer-weights-huge", ["layer", "--out", "{d}/out", "--n-in", str(1 << 20), "--n-out", str(1 << 10)], "--n-in"),
    ("layer-n-out-text", ["layer", "--out", "{d}/out", "--n-out", "4k"], "--n-out"),
    ("layer-size-zero", ["layer", "--out", "{d}/out", "--kind", "conv", "--size", "0"], "--size"),
    ("layer-kernel-zero", ["layer", "--out", "{d}/out", "--kind", "conv", "--kernel", "0"], "--kernel"),
    ("layer-kernel-too-big", ["layer", "--out", "{d}/out", "--kind", "conv", "--size", "4", "--kernel", "9",
                              "--padding", "0"], "kernel"),
    ("layer-stride-zero", ["layer", "--out", "{d}/out", "--kind", "conv", "--stride", "0"], "--stride"),
    ("layer-padding-negative", ["layer", "--out", "{d}/out", "--kind", "conv", "--padding", "-1"], "--padding"),
    ("layer-batch-zero", ["layer", "--out", "{d}/out", "--batch", "0"], "--batch"),
    ("layer-block-dims", ["layer", "--out", "{d}/out", "--block", "3x3x3"], "--block"),
    ("layer-block-text", ["layer", "--out", "{d}/out", "--block", "axb"], "--block"),
    ("layer-block-zero", ["layer", "--out", "{d}/out", "--block", "0x4"], "--block"),
    ("layer-wd-zero", ["layer", "--out", "{d}/out", "--weight-density", "0"], "--weight-density"),
    ("layer-wd-big", ["layer", "--out", "{d}/out", "--weight-density", "1.5"], "--weight-density"),
    ("layer-wd-nan", ["layer", "--out", "{d}/out", "--weight-density", "nan"], "--weight-density"),
    ("layer-wd-inf", ["layer", "--out", "{d}/out", "--weight-density", "inf"], "--weight-density"),
    ("layer-id-negative", ["layer", "--out", "{d}/out", "--input-density", "-0.1"], "--input-density"),
    ("layer-id-nan", ["layer", "--out", "{d}/out", "--input-density", "nan"], "--input-density"),
    ("layer-dram-zero", ["layer", "--out", "{d}/out", "--dram-bandwidth", "0"], "--dram-bandwidth"),
    ("layer-dram-inf", ["layer", "--out", "{d}/out", "--dram-bandwidth", "inf"], "--dram-bandwidth"),
    ("layer-dram-nan", ["layer", "--out", "{d}/out", "--dram-bandwidth", "nan"], "--dram-bandwidth"),
    ("layer-memory", ["layer", "--out", "{d}/out", "--memory", "dram"], "--memory"),
    ("layer-seed", ["layer", "--out", "{d}/out", "--seed", "-7"], "--seed"),
    ("layer-strategy", ["layer", "--out", "{d}/out", "--strategy", "x"], "--strategy"),
    ("layer-out-file", ["layer", "--out", _raw("c-file", "x")], "--out"),
    ("compare-presets-empty", ["compare", "mlp", "--out", "{d}/out", "--presets", ","], "--presets"),
    ("compare-unknown-arch", ["compare", "mlp", "--out", "{d}/out", "--arch", "nosuch"], "--arch"),
    ("compare-seed", ["compare", "mlp", "--out", "{d}/out", "--seed", "-1"], "--seed"),
    ("compare-strategy", ["compare", "mlp", "--out", "{d}/out", "--strategy", "x"], "--strategy"),
    ("compare-out-file", ["compare", "mlp", "--out", _raw("d-file", "x")], "--out"),
    ("compare-design-dir-is-file", ["compare", "mlp", "--out", "{d}/cmp-with-file", "--arch", "dense",
                                    "--arch", "weight-sparse"], "weight-sparse"),
    ("explain-layer-unknown", ["explain", "lenet5", "--layer", "conv9"], "--layer"),
    ("explain-layer-pool", ["explain", "lenet5", "--layer", "pool1"], "--layer"),
    ("explain-strategy", ["explain", "lenet5", "--strategy", "x"], "--strategy"),
    ("explain-script", ["explain", _raw("e.py", "def run(handle):\n    pass\n")], "workload script"),
    ("explain-seed", ["explain", "lenet5", "--seed", "-2"], "--seed"),
    ("compress-weights", ["compress", "mlp", "--out", "{d}/out", "--weights", "pretrained"], "--weights"),
    ("compress-criterion", ["compress", "mlp", "--out", "{d}/out", "--criterion", "median"], "--criterion"),
    ("compress-fc-block", ["compress", "mlp", "--out", "{d}/out", "--fc-block", "16"], "--fc-block"),
    ("compress-conv-block", ["compress", "lenet5", "--out", "{d}/out", "--conv-block", "16x1"], "--conv-block"),
    ("compress-rounds", ["compress", "mlp", "--out", "{d}/out", "--rounds", "0"], "--rounds"),
    ("compress-drop-big", ["compress", "mlp", "--out", "{d}/out", "--max-accuracy-drop", "2"], "--max-accuracy-drop"),
    ("compress-drop-nan", ["compress", "mlp", "--out", "{d}/out", "--max-accuracy-drop", "nan"],
     "--max-accuracy-drop"),
    ("compress-seed", ["compress", "mlp", "--out", "{d}/out", "--seed", "-1"], "--seed"),
    ("compress-stride-synthetic", ["compress", "alexnet", "--out", "{d}/out", "--fc-stride", "8x8"], "--fc-stride"),
    ("compress-unknown-network", ["compress", "nosuchnet", "--out", "{d}/out"], "nosuchnet"),
    ("compress-missing-out", ["compress", "mlp"], "--out"),
    ("dataflows-batch", ["dataflows", "alexnet", "--out", "{d}/out", "--batch", "0"], "--batch"),
    ("dataflows-workers", ["dataflows", "alexnet", "--out", "{d}/out", "--workers", "0"], "--workers"),
    ("dataflows-dataflow", ["dataflows", "alexnet", "--out", "{d}/out", "--dataflow", "XY"], "--dataflow"),
    ("dataflows-pes", ["dataflows", "alexnet", "--out", "{d}/out", "--pes", "0"], "pes"),
    ("dataflows-table", ["dataflows", "alexnet", "--out", "{d}/out", "--energy-table", "nosuch"], "nosuch"),
    ("dataflows-network", ["dataflows", "nosuchnet", "--out", "{d}/out"], "nosuchnet"),
    ("dataflows-layer", ["dataflows", "alexnet", "--out", "{d}/out", "--layer", "conv9"], "conv9"),
    ("dataflows-out-file", ["dataflows", "alexnet", "--out", _raw("e-file", "x"), "--layer", "conv1"], "--out"),
    ("arch-show-unknown", ["arch", "show", "nosuch"], "nosuch"),
    ("arch-show-bad-file", ["arch", "show", _raw("arch-broken.yaml", "kind: vector\ntn: [\n")], "arch-broken.yaml"),
    ("demo-seed", ["demo", "--out", "{d}/out", "--seed", "-1"], "--seed"),
    ("zoo-unknown-option", ["zoo", "--csv"], "--csv"),
]
for cid, argv, field in OPT:
    case(cid, argv, field)


def test_catalogue_is_large_and_distinct():
    ids = [c[0] for c in CASES]
    assert len(ids) == len(set(ids))
    assert len({tuple(c[1]) for c in CASES}) == len(CASES)
    assert len(CASES) >= 200, len(CASES)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("catalogue")
    for name, content in FILES.items():
        (d / name).parent.mkdir(parents=True, exist_ok=True)
        text = content.replace("{d}", str(d)) if isinstance(content, str) else content
        (d / name).write_bytes(text.encode() if isinstance(text, str) else text)
    return d


@pytest.mark.parametrize("cid,argv,named", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_in_one_line(cid, argv, named, data_dir, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = [a.replace("{d}/out", str(tmp_path / "out")).replace("{d}", str(data_dir)) for a in argv]
    code = run_cli(args)
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert code == 2, f"exit {code}; stderr: {err!r}; stdout: {out[-500:]!r}"
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err + out
    for text in named:
        assert text.lower() in lines[0].lower(), f"{text!r} not named in: {lines[0]}"
    # refused before anything was simulated or written
    assert not list(tmp_path.rglob("summary.json")) and not list(tmp_path.rglob("result.json"))


SUBPROCESS_CASES = [
    (["run", "mlp", "--seed", "-1"], "--seed"),
    (["run", "mlp", "--set", "dram.bandwidth_bytes_per_cycle=.inf"], "dram.bandwidth_bytes_per_cycle"),
    (["layer", "--weight-density", "nan"], "--weight-density"),
    (["run", "{d}/net-lrn-alpha-string.yaml"], "alpha"),
]


@pytest.mark.parametrize("argv,named", SUBPROCESS_CASES, ids=[" ".join(a) for a, _ in SUBPROCESS_CASES])
def test_console_script_prints_one_line_and_exits_2(argv, named, data_dir, tmp_path):
    args = [a.replace("{d}", str(data_dir)) for a in argv] + ["--out", str(tmp_path / "out")]
    res = subprocess.run([sys.executable, "-m", "soc.cli", *args], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and named in lines[0], res.stderr
    assert "Traceback" not in res.stderr


def test_debug_shows_the_traceback(data_dir, tmp_path):
    res = subprocess.run([sys.executable, "-m", "soc.cli", "--debug", "run", "mlp", "--set", "tn=0",
                          "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert res.returncode == 2
    assert "Traceback" in res.stderr and res.stderr.strip().splitlines()[-1].startswith("error: ")
