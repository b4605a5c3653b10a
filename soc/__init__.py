"""The simulated hardware: configs, data tokens, the actors of the accelerator and the
spatial PE array, the sparse MAC kernels, and the compiler that feeds them."""
