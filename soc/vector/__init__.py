"""The vector accelerator's actors (docs/hardware.md §2): DRAM, DMA engines, buffers, the neuron
selector, the H-tree, the PEs, the encoder and the control processor, wired by
:mod:`soc.vector.accelerator`."""
