"""Sparse multiply-accumulate kernels: the compiled kernel and its NumPy reference."""
from soc.kernels.formats import (
                                 CompressedNeurons,
                                 CompressedSynapses,
                                 compress_neurons,
                                 compress_synapses,
                                 decompress_neurons,
)
from soc.kernels.mac import (
    MAX_INPUTS,
    MacResult,
    count_effectual,
    nsm_accumulate,
    nsm_burst,
    quantize,
    reference_mac,
    sparse_mac,
    sparse_mac_accumulate,
    sparse_mac_raw,
)

__all__ = ["CompressedNeurons", "CompressedSynapses", "compress_neurons", "compress_synapses",
           "decompress_neurons", "MacResult", "sparse_mac", "sparse_mac_raw", "sparse_mac_accumulate", "nsm_burst",
           "nsm_accumulate",
           "reference_mac", "count_effectual", "quantize", "MAX_INPUTS"]
