"""Layer lists of other tools (SCALE-Sim topologies, Timeloop problem files), YAML
densities and the density plan. The files under tests/data are written in those tools'
formats for these tests (tests/data/README.md); SCALE-Sim's own parser
(scalesim.topology_utils) reads the same topologies as the reference, and every count
checked here is worked out in the test from the dimensions the file states."""
import csv
import math
import re
from pathlib import Path

import pytest
import yaml

from workloads.density import DensityError, StatedDensity, plan_densities
from workloads.io import (
    ModelSpecError,
    NetworkFileError,
    TimeloopProblemError,
    TopologyError,
    load_model,
    read_network_dict,
    read_timeloop,
    read_topology_csv,
)

DATA = Path(__file__).parent / "data"
SCALESIM = DATA / "scalesim"
TIMELOOP = DATA / "timeloop"
CSV_FILES = sorted(SCALESIM.rglob("*.csv"))


def _is_gemm(path: Path) -> bool:
    """SCALE-Sim is told the form by its caller (mnk_inputs); the header says which."""
    header = [h.strip().lower() for h in path.read_text().splitlines()[0].split(",")]
    return {"m", "n", "k"} <= set(header)


def _rows(path: Path) -> list[dict]:
    """The file's rows by column name, read with the csv module alone."""
    with path.open(newline="") as fh:
        lines = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    header = [h.strip() for h in lines[0] if h.strip()]
    return [dict(zip(header, (c.strip() for c in r))) for r in lines[1:]]


def _instance(path: Path) -> dict:
    return yaml.safe_load(path.read_text())["problem"]["instance"]


def _computes(path: Path) -> int:
    """Timeloop's compute count: the product of the instance's bounds over the shape's
    dimensions (a dimension the instance leaves out is 1)."""
    problem = yaml.safe_load(path.read_text())["problem"]
    return math.prod(problem["instance"].get(d, 1) for d in problem["shape"]["dimensions"])


# --------------------------------------------------------------------------- SCALE-Sim
@pytest.mark.parametrize("path", CSV_FILES, ids=lambda p: p.name)
def test_scalesim_files_read_as_scalesim_reads_them(path):
    """Layer count, MACs, output size, filters and the N:M sparsity of every layer equal
    what SCALE-Sim's own parser (scalesim.topology_utils) makes of the same file. A
    depthwise (DP) row is one grouped layer here and one layer per channel there."""
    topology_utils = pytest.importorskip("scalesim.topology_utils")
    gemm = _is_gemm(path)
    ref = topology_utils.topologies()
    ref.load_arrays(str(path), mnk_inputs=gemm)
    ref.topo_calc_hyperparams()
    model = read_topology_csv(path)
    layers = list(model.network)
    assert not model.network.connected
    assert len(layers) == len(_rows(path))
    i = 0  # index into SCALE-Sim's layers
    for layer in layers:
        parts = range(i, i + layer.groups)  # a DP row: SCALE-Sim's single-channel layers
        i += layer.groups
        assert layer.macs == sum(ref.get_layer_mac_ops(j) for j in parts), layer.name
        assert layer.out_channels == sum(ref.get_layer_num_filters(j) for j in parts)
        for j in parts:
            if gemm:  # IFMAP M x K, filter 1 x K: M x 1 outputs per filter
                assert layer.out_hw == (ref.get_layer_ifmap_dims(j)[0], 1)
                assert layer.in_channels == ref.get_layer_window_size(j)
            else:
                assert list(layer.out_hw) == list(ref.get_layer_ofmap_dims(j))
                assert layer.input_shape[1:] == tuple(ref.get_layer_ifmap_dims(j))
            n, m = ref.get_layer_sparsity_ratio(j)
            stated = model.stated.get(layer.name)
            if "Sparsity" in path.read_text().splitlines()[0]:
                assert stated.weight == pytest.approx(n / m)
            else:
                assert stated is None and (n, m) == (1, 1)
    assert i == ref.get_num_layers()


def _out(size: int, kernel: int, stride: int) -> int:
    return -(-(size - kernel + stride) // stride)  # SCALE-Sim: ceil((H - R + U) / U)


@pytest.mark.parametrize("path", [p for p in CSV_FILES if not _is_gemm(p)], ids=lambda p: p.name)
def test_scalesim_convolution_rows_give_the_networks_shapes(path):
    """Every convolution row, worked out from its own columns: SCALE-Sim's output count,
    MACs = outputs x filter window x channels x filters, weights = window x channels x
    filters (a DP row: one window per channel)."""
    model = read_topology_csv(path)
    for row, layer in zip(_rows(path), model.network):
        ih, iw, fh, fw = (int(row[c]) for c in ("IFMAP Height", "IFMAP Width", "Filter Height", "Filter Width"))
        c, f, u = int(row["Channels"]), int(row["Num Filter"]), int(row["Strides"])
        oh, ow = _out(ih, fh, u), _out(iw, fw, u)
        per_channel = "DP" in row["Layer name"]
        filters = c * f if per_channel else f
        assert layer.input_shape == (c, ih, iw) and layer.output_shape == (filters, oh, ow), row
        assert layer.macs == oh * ow * fh * fw * (1 if per_channel else c) * filters, row
        assert layer.weights == fh * fw * (1 if per_channel else c) * filters, row


def test_scalesim_shapes_of_the_published_networks():
    alex = read_topology_csv(SCALESIM / "conv_nets" / "alexnet.csv").network
    conv1 = alex.layer("conv1")  # the paper's 224 input, 11x11 stride 4: SCALE-Sim counts 55 outputs
    assert conv1.output_shape == (96, 55, 55) and conv1.macs == 55 * 55 * 11 * 11 * 3 * 96
    assert conv1.input_shape == (3, 224, 224) and conv1.padding_hw == (2, 2)  # (55-1)*4 + 11 = 227 = 224 + 3
    assert [alex.layer(f"conv{k}_gpu{g}").output_shape for k, g in ((2, 1), (4, 2), (5, 1))] == \
        [(128, 27, 27), (192, 13, 13), (128, 13, 13)]  # the paper's two towers, one row each
    assert alex.layer("fc6").output_shape == (4096, 1, 1) and alex.layer("fc6").weights == 6 * 6 * 256 * 4096
    resnet = read_topology_csv(SCALESIM / "conv_nets" / "resnet18.csv").network
    assert [resnet.layer(n).out_hw for n in ("conv1", "res2a_branch2a", "res3a_branch1", "res4a_branch2a",
                                             "res5b_branch2b")] == [(112, 112), (56, 56), (28, 28), (14, 14), (7, 7)]
    assert resnet.layer("fc1000").weights == 512 * 1000
    (row,) = _rows(SCALESIM / "gemm" / "single.csv")
    m, n, k = (int(row[c]) for c in "MNK")
    mnk = read_topology_csv(SCALESIM / "gemm" / "single.csv").network.layer(row["Layer Name"])
    assert mnk.macs == m * n * k and mnk.weights == k * n
    assert mnk.weight_shape == (n, k, 1, 1) and mnk.input_shape == (k, m, 1)
    path = SCALESIM / "gemm" / "ncf_mlp.csv"
    assert b"\r\n" in path.read_bytes() and not path.read_bytes().endswith(b"\n")  # CRLF, no final newline
    ncf = read_topology_csv(path).network
    assert [l.name for l in ncf] == [r["Layer"] for r in _rows(path)] and len(ncf) == 12
    assert [l.macs for l in ncf] == [int(r["M"]) * int(r["N"]) * int(r["K"]) for r in _rows(path)]
    gemm = read_topology_csv(SCALESIM / "sparsity" / "gemm.csv")
    assert [l.name for l in gemm.network] == ["proj", "proj#2"]  # the file repeats the name
    assert gemm.stated["proj#2"].weight_origin == "gemm.csv line 3 Sparsity 1:4"


def test_depthwise_rows_are_grouped_convolutions():
    path = SCALESIM / "conv_nets" / "mobilenet_v1_head.csv"
    row = next(r for r in _rows(path) if r["Layer name"] == "DP_block1")
    channels = int(row["Channels"])
    layer = read_topology_csv(path).network.layer("DP_block1")
    assert layer.groups == channels and layer.out_channels == channels and layer.weights == channels * 3 * 3
    topology_utils = pytest.importorskip("scalesim.topology_utils")
    ref = topology_utils.topologies()
    ref.load_arrays(str(path))
    ref.topo_calc_hyperparams()
    first = 1  # conv1 comes before it; SCALE-Sim: one single-channel layer per channel
    assert ref.get_num_layers() == sum(int(r["Channels"]) if "DP" in r["Layer name"] else 1 for r in _rows(path))
    assert layer.macs == sum(ref.get_layer_mac_ops(i) for i in range(first, first + channels))


HEADER = "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"


@pytest.mark.parametrize("text, message", [
    (HEADER + "Conv1, 224, 224, 11, 11, 3, 96, 4,\nConv2, 27, 27, 5, 5, 96, 256, 1\n",
     r"line 3: the row does not end with ',' as the header does .* end the row with ','"),
    (HEADER + "Conv1, 224, 22x, 11, 11, 3, 96, 4,\n", r"line 2: 'IFMAP Width' must be an integer >= 1, got '22x'"),
    (HEADER + "Conv1, 224, 224, 11, 11, 3, 96, 4.5,\n", r"line 2: 'Strides' must be an integer >= 1"),
    (HEADER.replace("Strides,", "Strides, Sparsity,") + "Conv1, 8, 8, 3, 3, 4, 4, 1, 0:4,\n",
     r"line 2: 'Sparsity' must be N:M with integers 1 <= N <= M"),
    (HEADER.replace("Strides,", "Strides, Sparsity,") + "Conv1, 8, 8, 3, 3, 4, 4, 1, 0.5,\n",
     r"line 2: 'Sparsity' must be N:M"),
    ("Layer, M, N, K,\nG1, 4, x, 8,\n", r"line 2: 'N' must be an integer >= 1, got 'x'"),
    (HEADER + "Conv1, 8, 8, 3, 3, 4, 4, 1, 7, 9,\n", r"line 2: .* values, but the header names 8 columns"),
    ("Layer name, IFMAP Height, Filter Height,\nc, 3, 3,\n", r"line 1: header lacks column\(s\) IFMAP Width"),
])
def test_bad_topology_rows_name_file_line_and_what_is_allowed(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(TopologyError, match=message) as err:
        read_topology_csv(path)
    assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)


def test_header_without_trailing_comma_takes_rows_with_or_without_one(tmp_path):
    path = tmp_path / "plain.csv"
    path.write_text(HEADER.rstrip(",\n") + "\nA, 8, 8, 3, 3, 4, 4, 1\nB, 8, 8, 3, 3, 4, 4, 1,\n")
    assert [l.name for l in read_topology_csv(path).network] == ["A", "B"]


# --------------------------------------------------------------------------- Timeloop
def test_timeloop_convolution_with_stated_input_size_and_padding():
    """ResNet-18's conv1: 224 x 224 input with padding 3, stride 2; the computes are the
    product of the instance's bounds, as Timeloop counts them."""
    path = TIMELOOP / "resnet18_conv1.yaml"
    inst = _instance(path)
    m = read_timeloop(path)
    layer = m.network.layer("resnet18_conv1")
    assert layer.macs == _computes(path) == 3 * 64 * 7 * 7 * 112 * 112
    assert layer.input_shape == (inst["C"], inst["H"], inst["W"]) and layer.padding_hw == (inst["Hpad"], inst["Wpad"])
    assert layer.stride_hw == (inst["Hstride"], inst["Wstride"])
    assert layer.output_shape == (inst["M"], inst["Q"], inst["P"]) and m.stated == {} and m.batches == {}
    ffn = TIMELOOP / "bert_base_ffn1.yaml"
    big = read_timeloop(ffn)
    layer = big.network.layers[0]
    inst = _instance(ffn)
    assert layer.macs == _computes(ffn) == inst["M"] * inst["N"] * inst["K"]
    assert layer.weight_shape == (inst["M"], inst["K"], 1, 1) and layer.input_shape == (inst["K"], inst["N"], 1)
    assert big.stated["bert_base_ffn1"].weight == inst["densities"]["A"]["density"]


def test_timeloop_folder_in_natural_order_with_the_instance_products():
    m = read_timeloop(TIMELOOP / "AlexNet")
    assert m.name == "AlexNet" and [l.name for l in m.network] == [f"conv{i}" for i in range(1, 6)]
    for layer in m.network:
        path = TIMELOOP / "AlexNet" / f"{layer.name}.yaml"
        inst = _instance(path)
        assert layer.macs == _computes(path)  # Timeloop's computes: the product of the dims
        assert layer.groups == inst.get("G", 1)  # a dimension in all three data spaces
        assert layer.out_channels == inst.get("G", 1) * inst["M"]
        assert layer.out_hw == (inst["Q"], inst["P"]) and layer.kernel_hw == (inst["S"], inst["R"])
    assert m.network.layer("conv1").input_shape == (3, 227, 227)  # (55-1)*4 + 11: no H, W stated
    assert m.network.layer("conv2").input_shape == (96, 27, 27) and m.network.layer("conv2").padding_hw == (2, 2)
    sp = read_timeloop(TIMELOOP / "sparse")
    names = [l.name for l in sp.network]
    assert names == sorted((p.stem for p in (TIMELOOP / "sparse").glob("*.yaml")),
                           key=lambda s: int(s.split("-")[0]))  # 10- after 4-
    assert names[-1] == "10-conv1d-channels"


def test_timeloop_densities_batch_and_matrix_products():
    path = TIMELOOP / "alexnet_conv5_sparse.yaml"
    inst = _instance(path)
    gating = read_timeloop(path)
    s = gating.stated["alexnet_conv5_sparse"]
    assert (s.weight, s.input) == (inst["densities"]["Weights"]["density"], inst["densities"]["Inputs"]["density"])
    assert gating.batches == {"alexnet_conv5_sparse": inst["N"]}
    assert s.weight_origin == "alexnet_conv5_sparse.yaml problem.instance.densities.Weights.density"
    sp = read_timeloop(TIMELOOP / "sparse")
    for layer in sp.network:
        assert layer.macs == _computes(TIMELOOP / "sparse" / f"{layer.name}.yaml"), layer.name
    inst = _instance(TIMELOOP / "sparse" / "3-spmspm.yaml")
    mm = sp.network.layer("3-spmspm")  # Outputs[M][N] = Weights[M][K] Inputs[N][K], Inputs listed first
    assert mm.weight_shape == (inst["M"], inst["K"], 1, 1) and mm.output_shape == (inst["M"], inst["N"], 1)
    assert (sp.stated["3-spmspm"].weight, sp.stated["3-spmspm"].input) == (0.25, 0.5)
    assert "1-dot-product" not in sp.stated  # states nothing
    inst = _instance(TIMELOOP / "sparse" / "10-conv1d-channels.yaml")
    conv1d = sp.network.layer("10-conv1d-channels")  # Weights[M][C][R], Inputs[C][P+R], Outputs[M][P]
    assert conv1d.input_shape == (inst["C"], 1, inst["P"] + inst["R"] - 1)
    assert conv1d.output_shape == (inst["M"], 1, inst["P"]) and conv1d.kernel_hw == (1, inst["R"])
    inst = _instance(TIMELOOP / "sparse" / "4-conv1d.yaml")
    assert sp.network.layer("4-conv1d").input_shape == (1, 1, inst["P"] + inst["R"] - 1)


def _problem(tmp_path, name, outputs, extra="", dil=1):
    text = f"""problem:
  version: 0.4
  instance: {{C: 4, M: 8, R: 3, S: 3, P: 6, Q: 6, Wdilation: {dil}{extra}}}
  shape:
    coefficients: [{{name: Wstride, default: 1}}, {{name: Hstride, default: 1}}, {{name: Wdilation, default: 1}},
                   {{name: Hdilation, default: 1}}]
    dimensions: [C, M, R, S, N, P, Q]
    data_spaces:
    - name: Weights
      projection: [[[C]], [[M]], [[R]], [[S]]]
    - name: Inputs
      projection: [[[N]], [[C]], [[R, Wdilation], [P, Wstride]], [[S, Hdilation], [Q, Hstride]]]
    - name: Outputs
      projection: {outputs}
      read_write: true
"""
    path = tmp_path / name
    path.write_text(text)
    return path


def test_timeloop_written_in_flow_style_is_the_same_convolution(tmp_path):
    layer = read_timeloop(_problem(tmp_path, "conv.yaml", "[[[N]], [[M]], [[Q]], [[P]]]")).network.layers[0]
    assert layer.input_shape == (4, 8, 8) and layer.output_shape == (8, 6, 6)


@pytest.mark.parametrize("outputs, extra, dil, message", [
    ("[[[N]], [[M]], [[Q], [P]]]", "", 1, "the projection is not a convolution or a matrix product"),
    ("[[[N]], [[Q]], [[P]]]", "", 1, "the projection is not a convolution or a matrix product"),
    ("[[[N]], [[M]], [[Q]], [[P]]]", "", 2, r"Wdilation = 2: dilated convolution is not supported.*allowed: 1"),
    ("[[[N]], [[M]], [[Q]], [[P]]]", ", densities: {Weights: {density: 1.5}}", 1,
     r"problem.instance.densities.Weights.density: density must be in \(0, 1\], got 1.5"),
    ("[[[N]], [[M]], [[Q]], [[P]]]", ", densities: {Psums: 0.5}", 1, "unknown data space 'Psums'"),
])
def test_bad_timeloop_problems_name_file_field_and_what_is_allowed(tmp_path, outputs, extra, dil, message):
    path = _problem(tmp_path, "bad.yaml", outputs, extra, dil)
    with pytest.raises(TimeloopProblemError, match=message) as err:
        read_timeloop(path)
    text = str(err.value)
    assert text.startswith(f"{path}: ") and "\n" not in text
    if "not a convolution" in text:
        assert "allowed: a convolution" in text and "or a matrix product" in text


def test_timeloop_templates_other_projections_and_non_problems_are_refused(tmp_path):
    templated = TIMELOOP / "refused" / "templated_conv.yaml"
    assert "{{include_text(" in templated.read_text() and "<<<:" in templated.read_text()
    with pytest.raises(TimeloopProblemError, match="templates") as err:
        read_timeloop(templated)
    assert str(err.value).startswith(f"{templated}: ")
    outer = TIMELOOP / "refused" / "outer_sum.yaml"
    with pytest.raises(TimeloopProblemError, match=re.escape(f"{outer}: problem.shape.data_spaces: the projection "
                                                             "is not a convolution or a matrix product")):
        read_timeloop(outer)
    (tmp_path / "arch.yaml").write_text("architecture: {version: 0.4}\n")
    with pytest.raises(TimeloopProblemError, match="arch.yaml: not a Timeloop problem"):
        read_timeloop(tmp_path)


# --------------------------------------------------------------------------- one argument or several
def test_several_files_comma_separated_repeated_or_a_folder_are_the_same_layers():
    by_folder = load_model(str(TIMELOOP / "sparse"))
    files = [str(TIMELOOP / "sparse" / f"{l.name}.yaml") for l in by_folder.network]
    assert sorted(files) != files  # the folder's natural order is not the names' sort order
    by_list = load_model(files)
    by_commas = load_model(",".join(files))
    for m in (by_list, by_commas):
        assert [l for l in m.network] == [l for l in by_folder.network] and m.stated == by_folder.stated
    mixed = load_model([str(SCALESIM / "sparsity" / "conv.csv"), str(TIMELOOP / "resnet18_conv1.yaml")])
    assert [l.name for l in mixed.network] == ["conv_2of4", "resnet18_conv1"] and not mixed.network.connected
    assert load_model("alexnet").format == "zoo"
    with pytest.raises(ModelSpecError, match="connected network"):
        load_model(["alexnet", str(SCALESIM / "sparsity" / "conv.csv")])
    with pytest.raises(ModelSpecError, match="already used by"):
        load_model([str(SCALESIM / "sparsity" / "conv.csv")] * 2)
    with pytest.raises(ModelSpecError, match="allowed: lenet5"):
        load_model("nosuchnet")


# --------------------------------------------------------------------------- YAML densities and the plan
NET = {"name": "tiny", "input_shape": [3, 8, 8],
       "densities": {"conv": {"weight_density": 0.4, "input_density": 0.7}, "fc": {"weight_density": 0.2}},
       "layers": [{"type": "conv", "name": "c1", "out_channels": 8, "kernel": 3, "padding": 1},
                  {"type": "relu", "name": "r1"},
                  {"type": "conv", "name": "c2", "out_channels": 8, "kernel": 3, "padding": 1,
                   "weight_density": 0.9},
                  {"type": "relu", "name": "r2"},
                  {"type": "fc", "name": "f", "out_features": 4, "input_density": 0.5}]}


def test_yaml_densities_per_layer_beat_per_kind():
    net, stated = read_network_dict(NET)
    assert stated["c1"] == StatedDensity(0.4, 0.7, "densities.conv weight_density", "densities.conv input_density")
    assert (stated["c2"].weight, stated["c2"].input) == (0.9, 0.7)
    assert stated["c2"].weight_origin == "layer 3 (c2) weight_density"
    assert (stated["f"].weight, stated["f"].input) == (0.2, 0.5)
    plan = plan_densities(net, stated)
    assert plan["c2"].weight_source == "file" and plan["r1"].weight == 1.0
    forced = plan_densities(net, stated, weight_density=0.3)
    assert forced["c2"].weight == 0.3 and forced["c2"].weight_source == "option"
    assert forced["c2"].input == 0.7 and forced["c2"].input_source == "file"


@pytest.mark.parametrize("change, message", [
    (lambda s: s["layers"][0].update(weight_density=0), r"layer 1 \(c1\): weight_density: density must be in \(0, 1\], got 0"),
    (lambda s: s["layers"][1].update(input_density=0.5), r"layer 2 \(r1\): input_density applies to conv, fc"),
    (lambda s: s["densities"].update(pool={"weight_density": 0.5}), "densities: unknown layer kind 'pool'"),
    (lambda s: s["densities"]["fc"].update(weight_density=1.01), r"densities.fc: weight_density: density must be"),
])
def test_bad_yaml_densities_name_where(change, message):
    import copy
    spec = copy.deepcopy(NET)
    change(spec)
    with pytest.raises(NetworkFileError, match=message):
        read_network_dict(spec)


def test_plan_measured_dense_and_option_errors():
    from workloads.zoo import get_network
    alex = plan_densities(get_network("alexnet"))
    assert alex["conv1"].weight == pytest.approx(1 - 0.6475) and alex["conv1"].weight_source == "measured-default"
    assert alex["fc6"].input == pytest.approx(1 - 0.2927)
    lstm = plan_densities(get_network("lstm"))
    assert {d.weight_source for d in lstm.values()} == {"dense-default"}
    timeloop = load_model(str(TIMELOOP / "AlexNet"))  # the folder's name picks AlexNet's measured row
    assert plan_densities(timeloop.network)["conv2"].weight == pytest.approx(1 - 0.6475)
    with pytest.raises(DensityError, match=r"--weight-density: density must be in \(0, 1\], got 0.0"):
        plan_densities(get_network("alexnet"), weight_density=0.0)
    with pytest.raises(DensityError, match="--input-density"):
        plan_densities(get_network("alexnet"), input_density=2)
