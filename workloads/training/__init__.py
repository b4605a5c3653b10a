"""NumPy training of small networks (LeNet-5, the MLP) on scikit-learn's digits.

Modules: :mod:`.data` (digits resized to the network input), :mod:`.model` (NumPy layers
built from a network description), :mod:`.train` (Adam, masked fine-tuning),
:mod:`.weights` (deterministic training with an on-disk cache outside the repository).
"""
