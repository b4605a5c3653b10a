"""A loaded model: its network and what its file(s) state beyond the layer shapes."""
from __future__ import annotations

from dataclasses import dataclass, field

from workloads.density import StatedDensity
from workloads.layers import Network


@dataclass(frozen=True)
class LoadedModel:
    """``network`` plus, per layer name, the densities the file states (``stated``) and
    the layer's own batch (``batches``, e.g. a Timeloop problem's ``N``; independent
    layers only). ``format`` names where the model came from (``zoo``, ``yaml``,
    ``scale-sim``, ``timeloop``, ``onnx``); ``paths`` are the files read."""

    network: Network
    format: str
    paths: tuple = ()
    stated: dict = field(default_factory=dict)
    batches: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, s in self.stated.items():
            if not isinstance(s, StatedDensity):
                raise TypeError(f"stated density of layer {name} must be a StatedDensity, got {type(s).__name__}")

    @property
    def name(self) -> str:
        return self.network.name
