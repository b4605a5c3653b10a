"""The vector accelerator's actors (spec 2): DRAM, DMA engines, buffers, the neuron
selector, the H-tree, the PEs, the encoder and the control processor, wired by
:mod:`soc.vector.accelerator`."""
