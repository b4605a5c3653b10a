"""An imported ONNX model end to end: wall time and peak memory.

``run()`` (collected by ``make bench``): the VGG-19 graph the ``onnx`` package ships
(onnx/backend/test/data/light/light_vgg19.onnx; its weights are ConstantOfShape fills,
so the run uses synthetic weights and says so) imported and simulated whole on
``coarse-sparse`` through :func:`soc.runtime.network.run_network` (reference tensors streamed:
weights loaded one layer at a time, activations freed once no later layer reads them; no
report files), in a fresh Python process so that its peak resident memory
(``peak_rss_mb`` of its summary: VmHWM, the process's own high-water mark) is its own.
One run (minutes). Also the import time of each of the nine light graphs (median of 3).
Target (issue "Bring your own model"): peak memory at most 1.5 GB (it was 4.76 GB).

Command line: ``python benchmarks/bench_onnx.py`` prints the same JSON.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from timing import median_s

ROOT = Path(__file__).resolve().parents[1]
TARGET_PEAK_MB = 1536.0
MODELS = ["bvlc_alexnet", "densenet121", "inception_v1", "inception_v2", "resnet50", "shufflenet",
          "squeezenet", "vgg19", "zfnet512"]

_CHILD = """
import json, os, time
import onnx
from soc.arch import design
from soc.runtime.network import run_network
from workloads.io import load_onnx
path = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", "light_vgg19.onnx")
t0 = time.perf_counter()
net = load_onnx(path)
t1 = time.perf_counter()
o = run_network(net, design("coarse-sparse"))
s = o.summary
print(json.dumps({"import_s": t1 - t0, "wall_s": time.perf_counter() - t0, "peak_rss_mb": s["peak_rss_mb"],
                  "layers": s["layers"], "cycles": s["cycles"], "energy_pj": s["energy_pj"],
                  "outputs_match_reference": s["outputs_match_reference"],
                  "weights_source": s["weights_source"], "activations_source": s["activations_source"]}))
"""


def light(name: str) -> str:
    import onnx
    return os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light", f"light_{name}.onnx")


def vgg19_run() -> dict:
    sys.path.insert(0, str(ROOT))
    res = subprocess.run([sys.executable, "-c", _CHILD], capture_output=True, text=True, cwd=ROOT)
    if res.returncode != 0:
        raise RuntimeError(res.stderr.strip().splitlines()[-1] if res.stderr.strip() else str(res.returncode))
    data = json.loads(res.stdout.strip().splitlines()[-1])
    data["target_peak_mb"] = TARGET_PEAK_MB
    data["meets_target"] = data["peak_rss_mb"] <= TARGET_PEAK_MB
    data["repeats"] = 1
    return data


def import_times() -> dict:
    sys.path.insert(0, str(ROOT))
    from workloads.io import load_onnx
    return {name: round(median_s(lambda: load_onnx(light(name)), 3), 4) for name in MODELS}


def run() -> dict:
    return {"preset": "coarse-sparse", "vgg19_light": vgg19_run(), "import_s_median_of_3": import_times()}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
