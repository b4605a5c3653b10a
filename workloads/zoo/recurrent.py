"""Speech-sized recurrent layers (one time step each).

- ``lstm``: the LSTMP layer of Sak et al. 2014 as used by the ESE speech accelerator
  (Han et al. 2017): 153 input features, 1024 cells, peepholes, 512-wide projection
  (3.25 M weights).
- ``gru``: a GRU layer of the same size: 153 input features and 1024 hidden units
  (no published reference network; sized to match the LSTM above).
"""
from __future__ import annotations

from workloads.layers import GRUCell, LSTMCell, Network


def lstm() -> Network:
    return Network("lstm", [LSTMCell("lstm1", 153, 1024, proj_size=512, peepholes=True)], (153,))


def gru() -> Network:
    return Network("gru", [GRUCell("gru1", 153, 1024)], (153,))
