"""Workload generation speed: synthetic tensors of the biggest layers and whole-network runs.

Wall times are medians of ``REPEATS`` runs in seconds. Target (issue 3 / workloads brief):
``layer_tensors`` for AlexNet fc6 (4096x9216) and every VGG16 layer well under 1 s each
(recorded with ``meets_target`` = median < 0.5 s).
"""
from __future__ import annotations

from timing import median_s  # benchmarks/ is on sys.path (run.py)

from workloads.sparsity import MEASURED_SPARSITY, layer_tensors, run_network
from workloads.zoo import get_network, list_networks

REPEATS = 3
TARGET_S = 0.5


def _median(fn, repeats=REPEATS) -> float:
    return median_s(fn, repeats)


def run() -> dict:
    out: dict = {"repeats": REPEATS, "target_s": TARGET_S, "layer_tensors_s": {}}
    cases = [("alexnet", get_network("alexnet").layer("fc6"))]
    cases += [("vgg16", layer) for layer in get_network("vgg16").weighted_layers()]
    for net_name, layer in cases:
        row = MEASURED_SPARSITY[net_name]
        prefix = "conv" if layer.kind == "conv" else "fc"
        wd, xd = 1 - row[f"{prefix}_sss"], 1 - row[f"{prefix}_dns"]
        t = _median(lambda: layer_tensors(layer, wd, xd, seed=1))
        out["layer_tensors_s"][f"{net_name}.{layer.name}"] = {
            "seconds": round(t, 4), "weight_density": round(wd, 4), "input_density": round(xd, 4),
            "meets_target": t < TARGET_S}
    t_dense = _median(lambda: layer_tensors(get_network("alexnet").layer("fc6"), 1.0, 1.0, seed=1))
    out["alexnet.fc6_dense_s"] = round(t_dense, 4)
    out["all_layer_tensors_meet_target"] = all(v["meets_target"] for v in out["layer_tensors_s"].values())
    out["zoo_build_s"] = round(_median(lambda: [get_network(n) for n in list_networks()]), 4)
    out["run_network_s"] = {n: round(_median(lambda: run_network(get_network(n), seed=0), 1), 2)
                            for n in ("lenet5", "cifar10-quick", "alexnet", "vgg16", "resnet50")}
    return out


if __name__ == "__main__":
    import json
    print(json.dumps(run(), indent=2))
