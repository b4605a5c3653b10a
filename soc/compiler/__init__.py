"""The compiler: lowers a layer to matrix form, tiles it into the buffers, chooses a reuse
strategy and emits the instruction stream of the control processor."""
