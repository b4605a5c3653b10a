"""Two time steps of a speech-style LSTM with peepholes and projection, then a classifier,
written against the programming model (soc.runtime.api).

The gate products and the projection run on the accelerator as FC products; the gate
arithmetic (sigmoid, tanh, peepholes, cell update) on the NFU. The gate matrix is
coarse-grained pruned to 50 % in 16x8 blocks; the state carries from step 1 to step 2.

    python workloads/examples/lstm_step.py --out out/lstm-step [--preset dense]
    socsim run workloads/examples/lstm_step.py --out out/lstm-step
"""
from __future__ import annotations

import numpy as np

from soc.runtime.api import (
    ActivationDescriptor,
    Filter,
    FilterDescriptor,
    InnerProductDescriptor,
    LSTMDescriptor,
    Tensor,
    TensorDescriptor,
    activation_forward,
    inner_product_forward,
    lstm_cell_forward,
)

INPUT, HIDDEN, PROJ, CLASSES = 40, 64, 32, 12


def run(handle, seed: int = 0) -> Tensor:
    rng = np.random.default_rng(seed)
    desc = LSTMDescriptor(HIDDEN, proj_size=PROJ, peepholes=True)
    w = Filter.generate(FilterDescriptor((4 * HIDDEN, INPUT + PROJ), block=(16, 8)), density=0.5, seed=seed + 1)
    peepholes = (rng.standard_normal((3, HIDDEN)) * 0.1).astype(np.float32)
    projection = (rng.standard_normal((PROJ, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32)

    state = None
    for step in (1, 2):
        frame = Tensor(TensorDescriptor((1, INPUT), dynamic_sparse=False),
                       rng.standard_normal((1, INPUT)).astype(np.float32))
        r = Tensor(TensorDescriptor((1, PROJ)))
        c = Tensor(TensorDescriptor((1, HIDDEN)))
        lstm_cell_forward(handle, desc, frame, w, r, state=state, peepholes=peepholes, projection=projection,
                          cell=c, name=f"lstm-t{step}")
        state = (r.data, c.data)

    wc = Filter.generate(FilterDescriptor((CLASSES, PROJ)), density=1.0, seed=seed + 2)
    logits = Tensor(TensorDescriptor((1, CLASSES)))
    inner_product_forward(handle, InnerProductDescriptor(), r, wc, logits, name="classifier")
    probs = Tensor(TensorDescriptor((1, CLASSES)))
    activation_forward(handle, ActivationDescriptor("sigmoid"), logits, probs, name="sigmoid")
    return probs


if __name__ == "__main__":
    from workloads.examples import main
    main(__file__, "two LSTM steps")
