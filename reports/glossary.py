"""The glossary: what every column of socsim's result files means, and in which unit.

One source for the report's glossary section and for ``docs/glossary.md`` (regenerate
it with ``python -m reports.glossary > docs/glossary.md``; a test checks that the two
agree). Files keep exact base units (pJ, s, cycles, bytes); the HTML report shows
energy, time and rates in the unit that keeps them readable and says which in each
column header.

:func:`describe` finds the entry of a concrete column name, including the families
written with a placeholder (``e_<component>_pj`` matches ``e_dram_pj``).
"""
from __future__ import annotations

import re
from typing import Iterable

#: (section, [(column, unit, definition), ...]) in reading order.
SECTIONS: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("Per layer and per network (layers.csv, summary.json, network.csv)", [
        ("name", "", "Layer name, as in the network description."),
        ("kind", "", "Layer type: conv, fc, pool, act, lrn, bn, add, lstm, gru."),
        ("strategy", "", "Reuse strategy the compiler chose (output-reuse, synapse-reuse, input-reuse); "
                         "elementwise for layers run on the NFU's element-wise path; fused for a ReLU done by "
                         "its producer's non-linear unit."),
        ("arch", "", "Name of the design the layer ran on."),
        ("cycles", "cycles", "Simulated accelerator clock cycles of the layer (network: sum over layers, which "
                             "run one after another)."),
        ("time_s", "s", "Simulated time: cycles / clock."),
        ("energy_pj", "pJ", "Energy of the layer: every booking of the energy ledger, dynamic and static."),
        ("useful_macs", "MACs", "Multiplies the multipliers performed (positions where both hardware masks are "
                                "set; every position on a dense design)."),
        ("skipped_macs", "MACs", "Multiplies of the dense layer the hardware did not perform: dense_macs - "
                                 "useful_macs."),
        ("dense_macs", "MACs", "Multiplies of the dense layer (every weight times every input position)."),
        ("effectual_macs", "MACs", "Multiplies whose two operands are both non-zero: the least work that computes "
                                   "the same outputs."),
        ("dram_bytes_read", "bytes", "Bytes read from DRAM (transfers rounded up to whole bursts)."),
        ("dram_bytes_written", "bytes", "Bytes written to DRAM (transfers rounded up to whole bursts)."),
        ("dram_bytes", "bytes", "dram_bytes_read + dram_bytes_written."),
        ("utilization", "fraction 0..1", "Multiplier utilization: useful MACs / (cycles x Tn x Tm). A network's is "
                                         "weighted by cycles (layers without multiplies count as idle)."),
        ("outputs_match_reference", "yes/no", "The simulated outputs equal the NumPy reference bit for bit (within "
                                             "the stated rounding tolerance for table-based functions)."),
        ("sim_events", "events", "SimPy events processed (a measure of simulation work)."),
        ("wall_s", "s", "Wall-clock time the simulation took on this machine."),
        ("tiling.<field>", "", "Tile sizes the compiler chose (p_tile input rows, i_tile inputs, o_tile outputs "
                               "per tile; for element-wise layers: tiles, nfu_cycles, dram_cycles)."),
        ("traffic_estimate.<strategy>.<operand>", "bytes", "The compiler's estimate of DRAM traffic per reuse "
                                                           "strategy and operand, from which it chose the strategy."),
        ("buffer_peak_bytes.<buffer>", "bytes", "Most bytes held at once in each on-chip buffer."),
        ("entropy_decoder_area_mm2", "mm²", "Area of the optional Huffman decoders (0 when disabled)."),
        ("area_mm2", "mm²", "Chip area of the design: the sum of its blocks' areas from the design's price table."),
        ("area_by_component_mm2 / area_by_component_mm2.<component>", "mm²", "Area of each block of the design."),
        ("power_mw", "mW", "Average on-chip power: leakage, refresh and dynamic energy of every on-chip block over "
                           "the time, DRAM excluded."),
        ("dram_energy_pj", "pJ", "Energy of the DRAM accesses (left out of power_mw)."),
        ("weights_source", "", "Where the layer's weights came from: synthetic (generated block-sparse), model or "
                                "pruned (weights a model brings); empty for a layer without weights."),
        ("weight_density", "fraction 0..1", "Fraction of weights kept, measured on the mask (network: over every "
                                            "weighted layer)."),
        ("density_source / density_origin", "", "Where the weight density target came from (option, file, "
                                                "measured)."),
        ("activations_source", "", "synthetic (generated at a target density) or forward (the outputs of earlier "
                                   "layers of the network run)."),
        ("input_density", "fraction 0..1", "Fraction of non-zero inputs, measured."),
        ("input_density_source / input_density_origin", "", "Where the input density target came from (empty when "
                                                            "the input was not steered to a target)."),
        ("e_<component>_pj", "pJ", "Energy booked by one block: dram, nbin, nibin, sb, sib, nbout, nsm, htree, pe, "
                                   "encoder, cp, entropy-decoder. Includes the block's leakage."),
        ("data_<type>_pj", "pJ", "Energy by the data it served: weights, inputs, outputs (final activations), "
                                 "psums (partial sums), indexes (neuron and synapse bitmasks, step indexes); "
                                 "and compute (arithmetic), control (instruction decode), static (leakage, refresh). "
                                 "Given by the block that books each access."),
    ]),
    ("Roofline and efficiency", [
        ("operational_intensity", "MACs/byte", "Useful MACs per DRAM byte (read + written)."),
        ("operational_intensity_dense", "MACs/byte", "Dense MACs per DRAM byte."),
        ("attained_macs_per_s", "MAC/s", "Useful MACs / simulated time."),
        ("roof_macs_per_s", "MAC/s", "The roofline at the layer's intensity: min(compute roof, intensity x DRAM "
                                     "bandwidth)."),
        ("bound", "", "compute when the compute roof is the lower roof at that intensity, else memory."),
        ("roof_fraction", "fraction 0..1", "attained_macs_per_s / roof_macs_per_s."),
        ("compute_roof_macs_per_s", "MAC/s", "The design's compute roof: Tn x Tm x clock."),
        ("dram_roof_bytes_per_s", "bytes/s", "The design's DRAM bandwidth roof: bytes per cycle x clock."),
        ("useful_macs_per_joule", "MACs/J", "Useful MACs per joule of the whole energy (dynamic and static)."),
        ("energy_per_useful_mac_pj", "pJ/MAC", "energy_pj / useful_macs."),
        ("macs_per_s_per_mm2", "MAC/s/mm²", "attained_macs_per_s / area_mm2 (when the area is known)."),
        ("dram_accesses_per_mac", "accesses/MAC", "DRAM accesses of one data word (word_bytes) per useful MAC."),
        ("effective_to_ideal_mac_ratio", "ratio", "MACs performed / effectual MACs: 1 is ideal; a dense design "
                                                  "shows about 1 / (weight density x input density)."),
        ("dense_equivalent_macs_per_s", "MAC/s", "Dense MACs / simulated time: the rate a dense machine would need "
                                                 "to finish as soon."),
        ("average_power_mw", "mW", "energy / time over the run, DRAM included (power_mw leaves DRAM out)."),
        ("accuracy", "fraction 0..1", "Test accuracy of the network when known (trained LeNet-5 and MLP, "
                                      "compression runs)."),
        ("parameters", "weights", "Weights the network stores: the non-zero count of the compression run the "
                                  "accuracy came from, else the network's dense weight count."),
        ("accuracy_per_joule", "1/J", "accuracy / energy of one inference in joules."),
        ("accuracy_per_parameter", "1/weight", "accuracy / parameters."),
        ("word_bytes", "bytes", "Width of one data word of the design."),
        ("tn", "PEs", "Processing elements of the design."),
        ("tm", "multipliers", "Multipliers per PE."),
        ("clock_ghz", "GHz", "Clock of the design."),
    ]),
    ("Run records (summary.json)", [
        ("layers", "layers", "Layers in the run (rows of layers.csv)."),
        ("layers_completed", "layers", "Layers simulated before the run ended (all, unless it failed)."),
        ("status", "", "ok, failed or interrupted."),
        ("failure", "", "The layer that failed, the error type and message (failed runs only)."),
        ("network", "", "Network (zoo name, file stem or workload script)."),
        ("connected", "yes/no", "The network's layers are chained (each reads its producer's output); no for a "
                                "list of independent layers, such as a SCALE-Sim topology file."),
        ("seed", "", "Seed of the synthetic weights and inputs."),
        ("strategy_forced", "", "Reuse strategy forced with --strategy (null: chosen per layer)."),
        ("peak_rss_mb", "MB", "Peak resident memory of the simulating process."),
        ("design", "", "The fully resolved design the run used."),
        ("design_hash", "", "Hash of the resolved design: equal hashes, equal designs."),
        ("socsim_version", "", "Version of socsim that produced the result."),
        ("energy_by_component", "pJ", "{component: pJ} over the network."),
        ("energy_by_action", "pJ", "{action: pJ} over the network (read, write, mac, hop, leakage ...)."),
        ("energy_by_data_type", "pJ", "{data type: pJ} over the network (see data_<type>_pj)."),
    ]),
    ("Energy breakdowns (energy_by_*.csv)", [
        ("layer", "", "Layer name (energy_by_layer.csv, one row per layer, component, action and data type)."),
        ("component", "", "Block of the design that booked the energy."),
        ("action", "", "What the block did: read, write, mac, add, hop, gather, prefix-count, decode, leakage ..."),
        ("data_type", "", "Data the energy served (see data_<type>_pj)."),
        ("count", "actions", "Number of actions booked: bytes for DRAM, 16-bit words for buffers, operations for "
                             "logic, 1 for a static booking."),
        ("share_pct", "%", "Share of the network's energy."),
        ("dynamic_pj / static_pj", "pJ", "A component's energy split into dynamic (accesses and operations) and "
                                         "static (leakage, refresh) parts (energy_by_component.csv)."),
    ]),
    ("Design comparison (compare.csv)", [
        ("speedup_vs_<baseline>", "x", "Cycles of the baseline / cycles of the design (above 1: faster)."),
        ("energy_ratio_vs_<baseline>", "x", "Energy of the baseline / energy of the design (above 1: less energy)."),
        ("speedup", "x", "Per layer: baseline cycles / design cycles (layer_ratios.csv)."),
        ("energy_ratio", "x", "Per layer: baseline energy / design energy (layer_ratios.csv)."),
        ("design_a / design_b", "", "A pair of designs whose accuracies are compared (accuracy_pairs.csv)."),
        ("difference", "fraction", "accuracy_a - accuracy_b."),
        ("flagged", "yes/no", "|difference| is above the stated threshold."),
    ]),
    ("Compression (compression.csv)", [
        ("weights", "weights", "Weights of the layer (without bias)."),
        ("nonzero", "weights", "Weights kept after pruning."),
        ("sparsity", "fraction 0..1", "Pruned fraction: 1 - nonzero / weights."),
        ("shape", "", "Weight shape."),
        ("block", "", "Pruning block (B_out x B_in, or B_fout x B_fin x Bx x By)."),
        ("k", "centroids", "Centroids per local codebook (K)."),
        ("codebooks", "codebooks", "Local codebooks (sub-matrices) of the layer."),
        ("bits_per_weight", "bits", "Width of a fixed-width weight code: log2(K)."),
        ("coded_bits_per_weight", "bits", "Average bits per weight after Huffman coding."),
        ("dense_bytes", "bytes", "The layer at 32 bits per weight, dense."),
        ("weight_bytes_pruned", "bytes", "Surviving weights at 32 bits."),
        ("index_bytes_pruned", "bytes", "Direct-indexing bitmask: one bit per input position per group of "
                                        "B_out outputs."),
        ("weight_bytes_quantized", "bytes", "Fixed-width codes plus codebooks."),
        ("codebook_bytes", "bytes", "Codebooks (32-bit entries)."),
        ("weight_bytes_coded", "bytes", "Huffman-coded codes plus table plus codebooks."),
        ("index_bytes_coded", "bytes", "Run-length Huffman-coded index."),
        ("code_format / index_format", "", "huffman, or fixed when coding would not make the stream smaller."),
        ("r_p", "x", "Compression ratio after pruning: dense_bytes / (weight_bytes_pruned + index_bytes_pruned)."),
        ("r_q", "x", "Compression ratio after pruning and local quantization: dense_bytes / "
                     "(weight_bytes_quantized + index_bytes_pruned)."),
        ("r_c", "x", "Compression ratio after pruning, quantization and entropy (Huffman) coding: dense_bytes / "
                     "(weight_bytes_coded + index_bytes_coded)."),
        ("k_global / bits_per_weight_global / weight_bytes_quantized_global", "", "The same with one codebook per "
                                                                                  "layer."),
        ("r_q_global", "x", "r_q with one global codebook per layer."),
        ("quant_rel_error", "fraction", "||w - q(w)|| / ||w|| over the surviving weights, local codebooks."),
        ("quant_rel_error_global_same_k", "fraction", "The same with one codebook of the same K."),
        ("jbig_bytes_fine / jbig_bytes_coarse", "bytes", "JBIG-coded size of the fine-grained and of the "
                                                        "coarse-grained index bitmask at the same sparsity."),
        ("r_irr", "x", "Irregularity R(Irr): jbig_bytes_fine / jbig_bytes_coarse (above 1: the fine-grained "
                       "index is less regular)."),
    ]),
    ("Spatial array dataflows (dataflows.csv, energy_by_level.csv, energy_by_data_type.csv)", [
        ("dataflow", "", "WS, OSA, OSB, OSC, NLR or RS."),
        ("macs", "MACs", "MACs of the layer at the batch size."),
        ("energy_per_mac", "ALU MACs", "Energy per MAC in units of one ALU MAC of the same energy table."),
        ("e_<level>", "ALU MACs", "Energy per MAC at one level: alu, rf, noc, glb, dram."),
        ("e_<data type>", "ALU MACs", "Energy per MAC moving one data type: weights, inputs, psums (storage "
                                      "levels; the ALU is its own term)."),
        ("dram_accesses_per_mac", "accesses/MAC", "DRAM word accesses per MAC."),
        ("latency_s", "s", "cycles / clock, with cycles = array_cycles + dram_cycles."),
        ("array_cycles", "cycles", "Cycles of the array phases (compute, GLB and NoC overlapped)."),
        ("dram_cycles", "cycles", "Cycles of DRAM transfers (not overlapped with the array)."),
        ("glb_accesses", "accesses", "Global-buffer accesses of the layer."),
        ("gated_macs", "MACs", "MACs a zero operand gated (no ALU energy spent)."),
        ("storage", "", "equal-area (RF and GLB sized for equal storage area) or fixed (the design's own)."),

        ("pes_used", "PEs", "PEs the mapping uses."),
        ("rf_bytes / glb_bytes", "bytes", "Register file per PE and global buffer of the equal-area split."),
        ("storage_area", "area units", "On-chip storage area (RF bytes cost 4x buffer bytes)."),
        ("noc_weights / noc_inputs / noc_psums", "", "Array-network pattern per data type (unicast, multicast, "
                                                     "broadcast ...)."),
        ("checked_on", "", "Which slice of the layer the arithmetic check ran on (full: the whole layer)."),
        ("mapping", "", "The mapping: tile sizes, spatial split and loop orders."),
    ]),
]


def entries() -> Iterable[tuple[str, str, str]]:
    """Every (column, unit, definition)."""
    for _, items in SECTIONS:
        yield from items


def _pattern(column: str) -> re.Pattern:
    parts = [re.escape(p.strip()) for p in column.split(" / ")]
    alts = [re.sub(r"<[^>]+>", r"[^.]+?", p).replace(r"[^.]+?\.[^.]+?", r"[^.]+\.[^.]+") for p in parts]
    return re.compile("^(?:" + "|".join(alts) + ")$")


_COMPILED = [(_pattern(c), c, u, d) for c, u, d in entries()]


def describe(column: str) -> tuple[str, str, str] | None:
    """(glossary entry, unit, definition) of a concrete column name, or None."""
    for pattern, entry, unit, definition in _COMPILED:
        if pattern.match(column):
            return entry, unit, definition
    return None


def markdown() -> str:
    """The glossary as Markdown (the text of ``docs/glossary.md``)."""
    lines = ["# Glossary of result columns", "",
             "Every column of socsim's result files (`layers.csv`, `summary.json`, `network.csv`,",
             "`energy_by_*.csv`, `compare.csv`, `compression.csv`, `dataflows.csv`). Files keep exact",
             "base units (pJ, s, cycles, bytes); the HTML report shows energy in nJ, µJ or mJ, time in",
             "ns to s and rates with SI prefixes, and names the unit in each column header.",
             "`<name>` stands for a family of columns. Generated by `python -m reports.glossary`.", ""]
    for title, items in SECTIONS:
        lines += [f"## {title}", "", "| column | unit | meaning |", "|---|---|---|"]
        for column, unit, definition in items:
            lines.append(f"| `{column}` | {unit} | {definition} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
