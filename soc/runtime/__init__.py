"""The runtime: cuDNN-style forward calls (:mod:`soc.runtime.api`), one layer through
the compiler and the simulator (:mod:`soc.runtime.simulate`), and whole networks
(:mod:`soc.runtime.network`). It hands results to whoever asked; it writes no files."""
