"""Layer lists of other tools (SCALE-Sim topologies, Timeloop problem files), YAML
densities and the density plan, read from those tools' own files (tests/data, origin in
ORIGIN.md there) and checked against the tools' own parser or published figures."""
from pathlib import Path

import pytest
import yaml

from workloads.density import DensityError, StatedDensity, plan_densities
from workloads.io import (ModelSpecError, NetworkFileError, TimeloopProblemError, TopologyError, load_model,
                          read_network_dict, read_timeloop, read_topology_csv)

DATA = Path(__file__).parent / "data"
SCALESIM = DATA / "scalesim"
TIMELOOP = DATA / "timeloop"
CSV_FILES = sorted(SCALESIM.rglob("*.csv"))
GEMM_FILES = {"NCF.csv", "test_mnk_input.csv", "gemm.csv"}


# --------------------------------------------------------------------------- SCALE-Sim
@pytest.mark.parametrize("path", CSV_FILES, ids=lambda p: p.name)
def test_scalesim_files_read_as_scalesim_reads_them(path):
    """Layer count, MACs, output size, filters and the N:M sparsity of every layer equal
    what SCALE-Sim's own parser (scalesim.topology_utils) makes of the same file."""
    topology_utils = pytest.importorskip("scalesim.topology_utils")
    gemm = path.name in GEMM_FILES
    ref = topology_utils.topologies()
    ref.load_arrays(str(path), mnk_inputs=gemm)
    ref.topo_calc_hyperparams()
    model = read_topology_csv(path)
    layers = list(model.network)
    assert not model.network.connected
    assert len(layers) == ref.get_num_layers()
    for i, layer in enumerate(layers):
        assert layer.macs == ref.get_layer_mac_ops(i), layer.name
        assert layer.out_channels == ref.get_layer_num_filters(i)
        if gemm:  # IFMAP M x K, filter 1 x K: M x 1 outputs per filter
            assert layer.out_hw == (ref.get_layer_ifmap_dims(i)[0], 1)
            assert layer.in_channels == ref.get_layer_window_size(i)
        else:
            assert list(layer.out_hw) == list(ref.get_layer_ofmap_dims(i))
            assert layer.input_shape[1:] == tuple(ref.get_layer_ifmap_dims(i))
        n, m = ref.get_layer_sparsity_ratio(i)
        stated = model.stated.get(layer.name)
        if "Sparsity" in path.read_text().splitlines()[0]:
            assert stated.weight == pytest.approx(n / m)
        else:
            assert stated is None and (n, m) == (1, 1)


def test_scalesim_shapes_and_published_macs():
    alex = read_topology_csv(SCALESIM / "conv_nets" / "alexnet.csv").network
    conv1 = alex.layer("Conv1")  # 224 input, 11x11 stride 4: SCALE-Sim counts 55 outputs
    assert conv1.output_shape == (96, 55, 55) and conv1.macs == 105_415_200 and conv1.input_shape == (3, 224, 224)
    mnk = read_topology_csv(SCALESIM / "GEMM_mnk" / "test_mnk_input.csv").network.layer("Test 1")
    assert mnk.macs == 256 * 128 * 256 and mnk.weights == 256 * 128  # M, N, K = 256, 128, 256
    assert mnk.weight_shape == (128, 256, 1, 1) and mnk.input_shape == (256, 256, 1)
    ncf = read_topology_csv(SCALESIM / "GEMM_mnk" / "NCF.csv").network  # CRLF, no final newline
    assert [l.name for l in ncf][:3] == ["1", "2", "3"] and len(ncf) == 12
    gemm = read_topology_csv(SCALESIM / "sparsity" / "gemm.csv")
    assert [l.name for l in gemm.network] == ["GEMM_1", "GEMM_1#2"]  # the file repeats the name
    assert gemm.stated["GEMM_1#2"].weight_origin == "gemm.csv line 3 Sparsity 1:4"


def test_depthwise_rows_are_grouped_convolutions(tmp_path):
    path = tmp_path / "mobile.csv"
    path.write_text("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
                    "Conv_DP1, 112, 112, 3, 3, 32, 1, 1,\n")
    layer = read_topology_csv(path).network.layer("Conv_DP1")
    assert layer.groups == 32 and layer.out_channels == 32 and layer.weights == 32 * 9
    topology_utils = pytest.importorskip("scalesim.topology_utils")
    ref = topology_utils.topologies()
    ref.load_arrays(str(path))
    ref.topo_calc_hyperparams()
    assert ref.get_num_layers() == 32  # SCALE-Sim: one single-channel layer per channel
    assert layer.macs == sum(ref.get_layer_mac_ops(i) for i in range(32))


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
def test_timeloop_convolution_matches_timeloops_reported_computes():
    """Timeloop's own output for default_problem.yaml reports 10838016 computes
    (eyeriss_like ref_outputs), for sparse_tensor_core_like.yaml 64."""
    m = read_timeloop(TIMELOOP / "default_problem.yaml")
    layer = m.network.layer("default_problem")
    assert layer.macs == 10_838_016
    assert layer.input_shape == (3, 224, 224) and layer.padding_hw == (1, 1) and layer.stride_hw == (2, 2)
    assert layer.output_shape == (32, 112, 112) and m.stated == {} and m.batches == {}
    stc = read_timeloop(TIMELOOP / "sparse_tensor_core_like.yaml")
    assert stc.network.layers[0].macs == 64 and stc.stated["sparse_tensor_core_like"].weight == 0.5


def test_timeloop_folder_in_natural_order_with_the_instance_products():
    m = read_timeloop(TIMELOOP / "AlexNet")
    assert m.name == "AlexNet" and [l.name for l in m.network] == [f"AlexNet_layer{i}" for i in range(1, 6)]
    for layer, path in zip(m.network, sorted((TIMELOOP / "AlexNet").glob("*.yaml"))):
        inst = yaml.safe_load(path.read_text())["problem"]["instance"]
        dims = [inst[d] for d in "CMRSNPQ"]
        assert layer.macs == __import__("math").prod(dims)  # Timeloop's computes: the product of the dims
        assert layer.out_hw == (inst["Q"], inst["P"]) and layer.kernel_hw == (inst["S"], inst["R"])
    assert m.network.layer("AlexNet_layer1").input_shape == (3, 227, 227)  # (55-1)*4 + 11


def test_timeloop_densities_batch_and_matrix_products():
    gating = read_timeloop(TIMELOOP / "eyeriss-like-gating.yaml")
    s = gating.stated["eyeriss-like-gating"]
    assert (s.weight, s.input) == (0.446133, 0.275) and gating.batches == {"eyeriss-like-gating": 4}
    assert s.weight_origin == "eyeriss-like-gating.yaml problem.instance.densities.Weights.density"
    sp = read_timeloop(TIMELOOP / "sparseloop")
    names = [l.name for l in sp.network]
    assert names == ["01.2.1-DUDU-dot-product", "01.2.2-SUDU-dot-product", "02.2.1-spMspM", "03.2.1-conv1d",
                     "03.2.2-conv1d+oc"]
    mm = sp.network.layer("02.2.1-spMspM")  # Z[M][N] = A[M][K] B[N][K], 8x8x8; A the weights
    assert mm.macs == 512 and mm.weight_shape == (8, 8, 1, 1)
    assert (sp.stated["02.2.1-spMspM"].weight, sp.stated["02.2.1-spMspM"].input) == (0.25, 0.5)
    conv1d = sp.network.layer("03.2.2-conv1d+oc")  # Weights[M][S], Inputs[S+Q], Outputs[M][Q]
    assert conv1d.macs == 16 * 3 * 9 and conv1d.input_shape == (1, 1, 11) and conv1d.output_shape == (16, 1, 9)
    big = read_timeloop(TIMELOOP / "M1024-K512-N256.yaml").network.layers[0]
    assert big.macs == 1024 * 512 * 256


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


def test_timeloop_templates_and_non_problems_are_refused(tmp_path):
    with pytest.raises(TimeloopProblemError, match="templates"):
        read_timeloop(TIMELOOP / "templated_alexnet_0.yaml")
    (tmp_path / "arch.yaml").write_text("architecture: {version: 0.4}\n")
    with pytest.raises(TimeloopProblemError, match="arch.yaml: not a Timeloop problem"):
        read_timeloop(tmp_path)


# --------------------------------------------------------------------------- one argument or several
def test_several_files_comma_separated_repeated_or_a_folder_are_the_same_layers():
    files = sorted(str(p) for p in (TIMELOOP / "sparseloop").glob("*.yaml"))
    by_folder = load_model(str(TIMELOOP / "sparseloop"))
    by_list = load_model(files)
    by_commas = load_model(",".join(files))
    for m in (by_list, by_commas):
        assert [l for l in m.network] == [l for l in by_folder.network] and m.stated == by_folder.stated
    mixed = load_model([str(SCALESIM / "sparsity" / "conv.csv"), str(TIMELOOP / "default_problem.yaml")])
    assert [l.name for l in mixed.network] == ["CONV_1", "default_problem"] and not mixed.network.connected
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
    assert plan_densities(timeloop.network)["AlexNet_layer2"].weight == pytest.approx(1 - 0.6475)
    with pytest.raises(DensityError, match=r"--weight-density: density must be in \(0, 1\], got 0.0"):
        plan_densities(get_network("alexnet"), weight_density=0.0)
    with pytest.raises(DensityError, match="--input-density"):
        plan_densities(get_network("alexnet"), input_density=2)
