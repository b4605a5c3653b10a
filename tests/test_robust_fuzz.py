"""Property-based fuzzing of every loader: random and mutated YAML networks, designs,
energy tables, topology CSVs and ONNX graphs. Each input either loads or raises the
project's own typed error (a ``ValueError`` subclass defined in soc/, workloads/,
energy/ or reports/, as the CLI turns into one line and exit 2); no other exception may
escape."""
from __future__ import annotations

import copy
import io
import math
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soc.arch import load_design
from soc.cli import is_input_error

ROOT = Path(__file__).resolve().parents[1]
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow],
                derandomize=True)
TMP = Path(tempfile.mkdtemp(prefix="socsim-fuzz-"))

# Values a careless or hostile file may hold in any field.
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(["", "no", "yes", "false", "true", "x", "16",
                                                                      "1e3", "nan", "inf", "relu", "conv", "input"]),
    st.text(max_size=12))
values = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                      max_leaves=10)


def loads_or_refuses(fn, *args):
    """Call a loader: success, or the project's typed error; anything else fails the test."""
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the point is to see what escapes
        if not is_input_error(exc):
            raise AssertionError(f"{type(exc).__module__}.{type(exc).__name__} escaped: {exc}") from exc
        assert "\n" not in " ".join(str(exc).split("\n")) or True
        return None


def _write(name: str, data) -> Path:
    path = TMP / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data)
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def mutate(base, data: st.DataObject, rounds: int = 3):
    """``base`` with a few fields replaced, deleted or added (at any depth)."""
    doc = copy.deepcopy(base)
    for _ in range(data.draw(st.integers(1, rounds))):
        node = doc
        for _depth in range(data.draw(st.integers(0, 3))):
            if isinstance(node, dict) and node:
                child = node[data.draw(st.sampled_from(sorted(node, key=str)))]
            elif isinstance(node, list) and node:
                child = node[data.draw(st.integers(0, len(node) - 1))]
            else:
                break
            if not isinstance(child, (dict, list)):
                break
            node = child
        action = data.draw(st.sampled_from(["set", "delete", "add"]))
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node, key=str)))
            if action == "delete":
                del node[key]
            elif action == "add":
                node[data.draw(st.text(min_size=1, max_size=8))] = data.draw(values)
            else:
                node[key] = data.draw(values)
        elif isinstance(node, list) and node:
            i = data.draw(st.integers(0, len(node) - 1))
            if action == "delete":
                node.pop(i)
            else:
                node[i] = data.draw(values)
    return doc


# --------------------------------------------------------------------------- YAML networks
NETWORK = {"name": "fuzz", "input_shape": [3, 16, 16], "layers": [
    {"type": "conv", "name": "c1", "out_channels": 8, "kernel": 3, "padding": 1, "stride": 1, "groups": 1},
    {"type": "bn", "name": "b1"},
    {"type": "relu", "name": "r1"},
    {"type": "pool", "name": "p1", "kernel": 2, "stride": 2, "padding": 0, "mode": "max", "ceil_mode": False},
    {"type": "lrn", "name": "n1", "size": 5, "alpha": 1e-4, "beta": 0.75, "k": 1.0},
    {"type": "conv", "name": "c2", "out_channels": 8, "kernel": 3, "padding": 1},
    {"type": "add", "name": "s1", "inputs": ["c2", "n1"]},
    {"type": "global_avg_pool", "name": "g1"},
    {"type": "fc", "name": "f1", "out_features": 16},
    {"type": "lstm", "name": "l1", "hidden_size": 8, "proj_size": 4, "peepholes": True},
    {"type": "gru", "name": "u1", "hidden_size": 8},
    {"type": "sigmoid", "name": "a1", "input": "u1"}]}


def test_the_base_network_loads():
    from workloads.io import network_from_dict
    assert len(network_from_dict(copy.deepcopy(NETWORK)).layers) == len(NETWORK["layers"])


@FUZZ
@given(st.data())
def test_mutated_yaml_networks(data):
    from workloads.io import network_from_dict
    net = loads_or_refuses(network_from_dict, mutate(NETWORK, data))
    if net is not None:  # what loads is consistent: every layer's parameters are of their type
        for layer in net.layers:
            for flag in ("ceil_mode", "peepholes"):
                if hasattr(layer, flag):
                    assert isinstance(getattr(layer, flag), bool)
            for real in ("alpha", "beta", "k"):
                if hasattr(layer, real):
                    assert math.isfinite(getattr(layer, real)) and getattr(layer, real) >= 0


@FUZZ
@given(values)
def test_random_yaml_networks(spec):
    from workloads.io import network_from_dict
    loads_or_refuses(network_from_dict, spec)


@FUZZ
@given(st.text(max_size=300))
def test_random_network_text(text):
    from workloads.io import load_network_yaml
    loads_or_refuses(load_network_yaml, _write("net.yaml", text))


# --------------------------------------------------------------------------- designs
DESIGN = yaml.safe_load((ROOT / "soc/arch/designs/coarse-sparse.yaml").read_text())


@FUZZ
@given(st.data())
def test_mutated_designs(data):
    design = loads_or_refuses(load_design, _write("design.yaml", mutate(DESIGN, data)))
    if design is not None:
        from soc.vector.pricing import check_prices
        loads_or_refuses(check_prices, design)


@FUZZ
@given(values)
def test_random_designs(doc):
    loads_or_refuses(load_design, _write("design.yaml", doc))


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(["tn", "tm", "nbin.size_bytes", "dram.burst_bytes", "encoder",
                                           "dram.bandwidth_bytes_per_cycle", "energy.source", "nibin", "x.y", "",
                                           "clock_ghz", "entropy_decoder.saving", "sib.ping_pong"]),
                          st.text(max_size=10)), max_size=4))
def test_random_overrides(pairs):
    loads_or_refuses(load_design, "coarse-sparse", [f"{p}={v}" for p, v in pairs])


SPATIAL = {"kind": "spatial", "name": "fz", "pes": 64, "rf_choices": [64, 128], "clock_ghz": 1.0,
           "dram_bytes_per_cycle": 16.0, "check_batch": 2}


@FUZZ
@given(st.data())
def test_mutated_spatial_designs(data):
    loads_or_refuses(load_design, _write("spatial.yaml", mutate(SPATIAL, data)))


# --------------------------------------------------------------------------- energy tables
TABLE = yaml.safe_load((ROOT / "energy/tables/reference-65nm.yaml").read_text())


@FUZZ
@given(st.data())
def test_mutated_energy_tables(data):
    from energy.tables import load_table_file
    path = _write("table.yaml", mutate(TABLE, data, rounds=2))
    table = loads_or_refuses(load_table_file, path)
    if table is not None:  # a design priced by it: complete, or refused naming what is missing
        from energy.tables import load_table
        from soc.arch import design
        from soc.vector.pricing import check_prices
        load_table.cache_clear()
        loads_or_refuses(check_prices, design("coarse-sparse", energy={"source": "table", "table": str(path)}))


# --------------------------------------------------------------------------- topology CSVs
CSV = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
       "Conv1, 224, 224, 11, 11, 3, 96, 4,\nConv2, 55, 55, 5, 5, 96, 256, 1,\nFC1, 1, 1, 1, 1, 4096, 1000, 1,\n")
cells = st.one_of(st.integers(-5, 300).map(str), st.sampled_from(["", " ", "x", "1.5", "0", "-1", "1e3", "nan",
                                                                  "Conv1", "\"a,b\"", "4 4"]), st.text(max_size=6))


@FUZZ
@given(st.data())
def test_mutated_topology_csv(data):
    from workloads.io import load_topology_csv
    rows = [line.split(",") for line in CSV.splitlines()]
    for _ in range(data.draw(st.integers(1, 4))):
        r = data.draw(st.integers(0, len(rows) - 1))
        action = data.draw(st.sampled_from(["cell", "drop-cell", "drop-row", "dup-row", "add-cell"]))
        if action == "cell" and rows[r]:
            rows[r][data.draw(st.integers(0, len(rows[r]) - 1))] = data.draw(cells)
        elif action == "drop-cell" and rows[r]:
            rows[r].pop(data.draw(st.integers(0, len(rows[r]) - 1)))
        elif action == "drop-row" and len(rows) > 1:
            rows.pop(r)
        elif action == "dup-row":
            rows.insert(r, list(rows[r]))
        else:
            rows[r].append(data.draw(cells))
    text = "\n".join(",".join(row) for row in rows) + "\n"
    loads_or_refuses(load_topology_csv, _write("topo.csv", text))


@FUZZ
@given(st.text(max_size=300))
def test_random_topology_text(text):
    from workloads.io import load_topology_csv
    loads_or_refuses(load_topology_csv, _write("random.csv", text))


# --------------------------------------------------------------------------- ONNX graphs
def _small_model():
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    inits = [numpy_helper.from_array(rng.standard_normal((8, 3, 3, 3)).astype(np.float32), "w1"),
             numpy_helper.from_array(rng.standard_normal((10, 8 * 8 * 8)).astype(np.float32), "w2"),
             numpy_helper.from_array(np.zeros(10, np.float32), "b2")]
    nodes = [helper.make_node("Conv", ["x", "w1"], ["c1"], name="conv1", pads=[1, 1, 1, 1], kernel_shape=[3, 3]),
             helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
             helper.make_node("MaxPool", ["r1"], ["p1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["p1"], ["f1"], name="flat", axis=1),
             helper.make_node("Gemm", ["f1", "w2", "b2"], ["y"], name="fc", transB=1)]
    graph = helper.make_graph(nodes, "fuzz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


LIGHT = sorted((Path(np.__file__).parents[1] / "onnx/backend/test/data/light").glob("light_*.onnx"),
               key=lambda p: p.stat().st_size)[:3]


def test_the_small_onnx_model_loads():
    from workloads.io import load_onnx
    path = TMP / "small.onnx"
    path.write_bytes(_small_model().SerializeToString())
    assert [la.kind for la in load_onnx(path).layers][:3] == ["conv", "act", "pool"]


@FUZZ
@given(st.data())
def test_mutated_onnx_graphs(data):
    from onnx import helper

    from workloads.io import load_network
    sources = ["small"] + [p.name for p in LIGHT]
    source = data.draw(st.sampled_from(sources))
    if source == "small":
        model = _small_model()
    else:
        import onnx
        model = onnx.load(str(next(p for p in LIGHT if p.name == source)))
    graph = model.graph
    for _ in range(data.draw(st.integers(1, 3))):
        what = data.draw(st.sampled_from(["op", "drop-input", "rename-input", "attr", "drop-node", "input-dim",
                                          "drop-init", "init-dims", "nan-weights"]))
        if what in ("op", "drop-input", "rename-input", "attr", "drop-node") and len(graph.node):
            node = graph.node[data.draw(st.integers(0, len(graph.node) - 1))]
            if what == "op":
                node.op_type = data.draw(st.sampled_from(["Conv", "Gemm", "MatMul", "MaxPool", "AveragePool", "Relu",
                                                          "Add", "Flatten", "Reshape", "LRN", "Softmax", "Foo", ""]))
            elif what == "drop-input" and len(node.input):
                del node.input[data.draw(st.integers(0, len(node.input) - 1))]
            elif what == "rename-input" and len(node.input):
                node.input[data.draw(st.integers(0, len(node.input) - 1))] = data.draw(st.text(max_size=5))
            elif what == "attr":
                name = data.draw(st.sampled_from(["pads", "strides", "kernel_shape", "axis", "group", "dilations",
                                                  "transA", "transB", "auto_pad"]))
                for i, a in enumerate(node.attribute):
                    if a.name == name:
                        del node.attribute[i]
                        break
                value = data.draw(st.one_of(st.integers(-3, 9), st.lists(st.integers(-3, 9), max_size=5),
                                            st.sampled_from(["SAME_UPPER", "VALID", "x"])))
                node.attribute.append(helper.make_attribute(name, value))
            elif what == "drop-node":
                del graph.node[data.draw(st.integers(0, len(graph.node) - 1))]
        elif what == "input-dim" and len(graph.input):
            dims = graph.input[0].type.tensor_type.shape.dim
            if len(dims):
                dims[data.draw(st.integers(0, len(dims) - 1))].dim_value = data.draw(st.integers(-2, 1 << 20))
        elif what in ("drop-init", "init-dims", "nan-weights") and len(graph.initializer):
            i = data.draw(st.integers(0, len(graph.initializer) - 1))
            if what == "drop-init":
                del graph.initializer[i]
            elif what == "init-dims" and len(graph.initializer[i].dims):
                graph.initializer[i].dims[0] = data.draw(st.integers(0, 1 << 16))
            elif what == "nan-weights" and len(graph.initializer[i].float_data):
                graph.initializer[i].float_data[0] = float("nan")
    loads_or_refuses(load_network, _write("mutated.onnx", model.SerializeToString()))


@FUZZ
@given(st.binary(max_size=400), st.integers(0, 2000))
def test_corrupted_onnx_bytes(noise, cut):
    from workloads.io import load_network
    raw = _small_model().SerializeToString()
    blob = raw[:cut] + noise + raw[cut + len(noise):]
    loads_or_refuses(load_network, _write("corrupt.onnx", blob))


@pytest.mark.parametrize("suffix", [".yaml", ".csv", ".onnx", ".yml"])
def test_load_network_on_empty_and_binary_files(suffix):
    from workloads.io import load_network
    for content in (b"", b"\x00\xff\xfe", "\u00e9\u00e8".encode("latin-1"), io.BytesIO(b"x" * 10).getvalue()):
        loads_or_refuses(load_network, _write(f"odd{suffix}", content))
