"""``socsim explain NETWORK [--layer NAME]``: the compiler's tiling, the estimated DRAM
traffic of the three reuse strategies and the choice, per conv/fc layer (``--json``: as data)."""
from __future__ import annotations

import json
from typing import List, Optional

import typer

from soc.cli import UserError, app
from soc.cli.netopts import (
    ARCH_HELP,
    MODEL_HELP,
    PRESET_HELP,
    SEED_MAX,
    SET_HELP,
    parse_strategy,
    plan,
    resolve_design,
    resolve_model,
    spec_of,
)
from soc.compiler.program import STRATEGIES


@app.command()
def explain(
    network: List[str] = typer.Argument(..., help=MODEL_HELP),
    layer: Optional[str] = typer.Option(None, help="layer name (default: every conv and fc layer)"),
    arch: Optional[str] = typer.Option(None, "--arch", help=ARCH_HELP),
    preset: Optional[str] = typer.Option(None, "--preset", help=PRESET_HELP),
    sets: Optional[list[str]] = typer.Option(None, "--set", help=SET_HELP),
    strategy: Optional[str] = typer.Option(None, help=f"force a reuse strategy: {', '.join(STRATEGIES)}"),
    seed: int = typer.Option(0, min=0, max=SEED_MAX, help="seed of the synthetic weights and inputs"),
    pes: Optional[int] = typer.Option(None, help="number of PEs (Tn)"),
    weight_density: Optional[float] = typer.Option(None, help="fraction of synthetic weights kept, in (0, 1]"),
    input_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic inputs, in (0, 1]"),
    as_json: bool = typer.Option(False, "--json", help="print JSON"),
) -> None:
    """Explain the compilation of a layer: tiling, traffic of each reuse strategy, choice."""
    from soc.compiler.explain import explain_parts, format_explanation, lower_layer
    from soc.compiler.tiling import TilingError
    from soc.runtime.network import reference_tensors
    cfg = resolve_design(arch, preset, sets, pes)
    strategy = parse_strategy(strategy)
    model = resolve_model(spec_of(network), "explain")
    densities = plan(model, weight_density, input_density)
    net = model.network
    names = [l.name for l in net.layers]
    if layer is not None and layer not in names:
        raise UserError(f"--layer: network {net.name} has no layer {layer!r}; allowed: {', '.join(names)}")
    if layer is not None and net.layer(layer).kind not in ("conv", "fc"):
        raise UserError(f"--layer: {layer!r} is a {net.layer(layer).kind!r} layer (element-wise on the NFU, "
                        f"no tiling); explain takes conv and fc layers")
    wanted = [layer] if layer else [l.name for l in net.layers if l.kind in ("conv", "fc")]
    if not wanted:
        raise UserError(f"network {net.name} has no conv or fc layer to explain")
    found = []
    try:
        for t in reference_tensors(net, seed, densities=densities, batches=model.batches or None,
                                    compact=False):  # the compiler's lowering reads the dense weights
            if t.layer.name in wanted:
                parts = explain_parts(t.layer.name, lower_layer(t.layer, t, cfg), cfg, strategy)
                found.append({**parts, "tensors": dict(t.source)})
                if len(found) == len(wanted):
                    break
    except (TilingError, ValueError) as exc:
        raise UserError(str(exc)) from None
    if as_json:
        typer.echo(json.dumps(found[0] if layer else found, indent=2))
    else:
        typer.echo("\n".join(format_explanation(e) + "\n" + _tensors_line(e["tensors"]) for e in found))


def _tensors_line(src: dict) -> str:
    """Where the layer's weights and inputs came from, at what density (measured)."""
    if not src:
        return ""
    w = (f"weights {src['weights_source']} at density {src['weight_density']:.4f} ({src['density_source']}: "
         f"{src['density_origin']})") if src.get("weights_source") else "no weights"
    x = f"inputs {src['activations_source']} at density {src['input_density']:.4f}"
    if src.get("input_density_source"):
        x += f" ({src['input_density_source']}: {src['input_density_origin']})"
    return f"  tensors: {w}; {x}"
