"""The blocks of a vector design as priced components (:mod:`energy.pricetable`).

Which blocks exist follows from the design's capabilities, never from its name:

============== ========================================= =====================================
component      present when                              parts (per instance)
============== ========================================= =====================================
nbin, nbout    always                                    the buffer's array (sram or edram)
sb             always, one instance per PE (x tn)        the PE's synapse buffer array
nibin, sib     when the design has them                  the index buffer's array
dram           always (off chip)                         dram of the technology
nsm            shared index or zero-activation skipping  AND (both masks), prefix counters,
                                                         gather mux
htree          always                                    2 tn - 2 wire segments of one level
pe             always, x tn                              tm multipliers, tm adders, non-linear
                                                         table; WDM (weight_decoder lut);
                                                         SSM select mux (with an NSM);
                                                         step-index adders (step-indexed)
encoder        encoder: true                             comparators and compaction mux
cp             always                                    the instruction buffer (ib)
entropy-decoder entropy_decoder.enabled, x tn x per_pe   the decoder (area/power as given)
============== ========================================= =====================================

Actions and what prices them (the actors' bookings):

* buffers ``read`` / ``write``: one ``data_bits`` word of the array (bank mux included);
  ``dram`` ``read`` / ``write``: one byte.
* ``pe``: ``mac`` a multiply, ``add`` an adder-tree add (32-bit products), ``decode`` a
  WDM table read (2^weight_bits entries), ``select`` an SSM word select, ``index-step``
  a 16-bit step add, ``nonlinear`` a 16-entry table read.
* ``nsm``: ``mask-and`` one AND per mask bit, ``prefix-count`` one 8-bit add per mask
  bit, ``gather`` one word select per neuron gathered.
* ``htree`` ``hop``: one word over one wire segment (wire_mm_per_level).
* ``encoder``: ``compare`` a zero compare per output, ``compact`` a word select per
  non-zero output.
* ``cp`` ``decode``: one IB read of the IB's port width (an instruction).
* ``entropy-decoder`` ``decode``: one code word.
"""
from __future__ import annotations

from energy.pricetable import ComponentSpec, Part, Use
from soc.arch.vector import VectorArch

ADDER_TREE_BITS = 32     # the adder tree adds 16 x 16-bit products (stated simplification)
COUNT_BITS = 8           # width of the NSM's running counts
NONLINEAR_ENTRIES = 16   # the non-linear unit's function table


def _buffer(cfg: VectorArch, name: str) -> ComponentSpec:
    buf = getattr(cfg, name)
    word = f"{cfg.data_bits}-bit word"
    array = Part("array", buf.memory, {"size_bytes": buf.size_bytes, "width_bits": buf.bandwidth_bits,
                                      "banks": buf.banks, "word_bits": cfg.data_bits})
    return ComponentSpec(name, cfg.tn if name == "sb" else 1, (array,),
                         {"read": (Use("array", "read"),), "write": (Use("array", "write"),)},
                         {"read": word, "write": word}, memory=buf.memory, size_bytes=buf.size_bytes)


def _pe(cfg: VectorArch) -> ComponentSpec:
    tm, bits = cfg.tm, cfg.data_bits
    parts = [Part("multiplier", "multiplier", {"width": bits}, tm),
             Part("adder", "adder", {"width": ADDER_TREE_BITS}, tm),
             Part("nonlinear", "regfile", {"entries": NONLINEAR_ENTRIES, "width": bits})]
    actions = {"mac": (Use("multiplier", "multiply"),), "add": (Use("adder", "add"),),
               "nonlinear": (Use("nonlinear", "read"),)}
    per = {"mac": f"{bits}x{bits} multiply", "add": "adder-tree or accumulator add", "nonlinear": "output"}
    if cfg.weight_decoder == "lut":
        parts.append(Part("wdm", "regfile", {"entries": 2 ** cfg.weight_bits, "width": bits, "read_ports": tm}))
        actions["decode"] = (Use("wdm", "read"),)
        per["decode"] = "weight decoded by WDM look-up"
    if cfg.has_nsm:
        parts.append(Part("ssm", "mux", {"width": bits, "lanes": tm, "inputs": 16 * tm}))
        actions["select"] = (Use("ssm", "select"),)
        per["select"] = "weight selected by SSM"
    if cfg.step_indexed:
        # the PE's indexing module: step adders walk the weights' step indexes, and a
        # Tm-lane mux picks each weight's neuron out of the broadcast inputs (its input
        # buffering is not modelled separately: the broadcast words land in the mux)
        parts.append(Part("index", "adder", {"width": 16}, tm))
        parts.append(Part("neuron_select", "mux", {"width": bits, "lanes": tm, "inputs": 16 * tm}))
        actions["index-step"] = (Use("index", "add"),)
        actions["neuron-select"] = (Use("neuron_select", "select"),)
        per["index-step"] = "step index walked"
        per["neuron-select"] = "neuron selected for a weight by the indexing module"
    return ComponentSpec("pe", cfg.tn, tuple(parts), actions, per)


def _nsm(cfg: VectorArch) -> ComponentSpec:
    mask_bits = cfg.nibin.bandwidth_bits if cfg.nibin is not None else 16 * cfg.tm
    masks = int(cfg.compressed_neurons) + int(cfg.shared_index)
    parts = [Part("counter", "prefix_counter", {"width": mask_bits, "count_bits": COUNT_BITS}, masks),
             Part("gather", "mux", {"width": cfg.data_bits, "lanes": cfg.tm, "inputs": mask_bits})]
    actions = {"prefix-count": (Use("counter", "count"),), "gather": (Use("gather", "select"),)}
    per = {"prefix-count": "mask bit", "gather": "selected neuron"}
    if masks == 2:
        parts.append(Part("and", "and_array", {"width": mask_bits}))
        actions["mask-and"] = (Use("and", "and"),)
        per["mask-and"] = "mask bit"
    return ComponentSpec("nsm", 1, tuple(parts), actions, per)


def _htree(cfg: VectorArch) -> ComponentSpec:
    bus = cfg.data_bits * cfg.tm
    segments = 2 * cfg.tn - 2 if cfg.tn > 1 else 1
    wire = Part("segment", "wire", {"width": bus, "length_mm": cfg.htree.wire_mm_per_level}, segments)
    return ComponentSpec("htree", 1, (wire,), {"hop": (Use("segment", "transfer", cfg.data_bits / bus),)},
                         {"hop": f"{cfg.data_bits}-bit word per hop"})


def _encoder(cfg: VectorArch) -> ComponentSpec:
    lanes = max(1, cfg.nbout.bandwidth_bits // cfg.data_bits)
    parts = (Part("compare", "comparator", {"width": cfg.data_bits}, lanes),
             Part("compact", "mux", {"width": cfg.data_bits, "lanes": lanes, "inputs": lanes}))
    return ComponentSpec("encoder", 1, parts,
                         {"compare": (Use("compare", "compare"),), "compact": (Use("compact", "select"),)},
                         {"compare": "output checked for zero", "compact": "non-zero output"})


def _cp(cfg: VectorArch) -> ComponentSpec:
    ib = cfg.ib
    part = Part("ib", ib.memory, {"size_bytes": ib.size_bytes, "width_bits": ib.bandwidth_bits,
                                  "banks": ib.banks, "word_bits": ib.bandwidth_bits})
    return ComponentSpec("cp", 1, (part,), {"decode": (Use("ib", "read"),)},
                         {"decode": f"instruction ({ib.bandwidth_bits}-bit IB read)"})


def vector_components(cfg: VectorArch) -> list[ComponentSpec]:
    """The priced blocks of ``cfg`` (see the module's table)."""
    comps = [_buffer(cfg, name) for name in cfg.present_buffers]
    comps.append(ComponentSpec("dram", 1, (Part("dram", "dram", {"technology": cfg.dram.technology}),),
                               {"read": (Use("dram", "read"),), "write": (Use("dram", "write"),)},
                               {"read": "byte", "write": "byte"}))
    if cfg.has_nsm:
        comps.append(_nsm(cfg))
    comps.append(_htree(cfg))
    comps.append(_pe(cfg))
    if cfg.encoder:
        comps.append(_encoder(cfg))
    comps.append(_cp(cfg))
    if cfg.entropy_decoder.enabled:
        ed = cfg.entropy_decoder
        comps.append(ComponentSpec("entropy-decoder", cfg.entropy_decoder_instances,
                                   (Part("decoder", "entropy_decoder", {"area_mm2": ed.area_mm2,
                                                                        "power_mw": ed.power_mw}),),
                                   {"decode": (Use("decoder", "decode"),)}, {"decode": "code word"}))
    return comps


def required_actions(cfg: VectorArch) -> list[tuple[str, str]]:
    """Every (component, action) the actors of ``cfg`` may book."""
    return [(c.name, a) for c in vector_components(cfg) for a in c.actions]
