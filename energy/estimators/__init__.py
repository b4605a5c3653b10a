"""Estimators: energy per action (pJ), leakage (mW) and area (mm^2) of a component
instance from its class and attributes, in the spirit of Accelergy's plug-ins.

One module per class family, each fitted to published points written next to the
numbers in ``energy/estimators/data/*.yaml``:

============== ======================================= ==============================
class          attributes                              actions
============== ======================================= ==============================
sram, edram    size_bytes, width_bits, banks, word_bits read, write
regfile        entries, width, read_ports              read, write
multiplier     width | format (fp16, bf16, fp32)       multiply
adder          width | format                          add
comparator     width                                   compare
and_array      width                                   and
prefix_counter width, count_bits                       count
mux            width, lanes, inputs                    select
wire           width, length_mm                        transfer
dram           technology                              read, write (per byte)
entropy_decoder area_mm2, power_mw (per instance)      decode
============== ======================================= ==============================

Use :func:`estimate` (``estimate("sram", {"size_bytes": 8192, "width_bits": 64},
Tech(65, 1.0))``). See ``docs/estimators.md``.
"""
from energy.estimators import arithmetic, coding, dram, logic, memory, regfile, wire  # noqa: F401 (register)
from energy.estimators.base import Estimate, EstimatorError, Tech
from energy.estimators.registry import classes, estimate

__all__ = ["Estimate", "EstimatorError", "Tech", "estimate", "classes"]
