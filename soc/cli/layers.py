"""``socsim layers MODEL [--json]``: the layers of any model, as ``socsim run`` would run them.

Per layer: name, kind, input and output shapes (per sample, ``(C, H, W)`` or ``(N,)``),
the layer's own batch (independent layers of a Timeloop problem with ``N`` > 1), MACs
(per sample times the layer's batch; conv, fc and recurrent matrices only) and weights
(no biases), then where its weights and inputs would come from and at what target
density, with the source of each density (:mod:`workloads.density`). Nothing is
simulated. A workload script's layers exist only when it runs, so a script is refused
with that message.
"""
from __future__ import annotations

import json
from typing import List, Optional

import typer

from soc.cli import app
from soc.cli.netopts import MODEL_HELP, plan, resolve_model, spec_of


def layer_rows(model, weight_density: Optional[float] = None, input_density: Optional[float] = None) -> list[dict]:
    """One dict per layer of a loaded model (module doc)."""
    targets = plan(model, weight_density, input_density)
    independent = not model.network.connected
    first = next((l.name for l in model.network.layers if l.weight_shape), model.network.layers[0].name)
    rows = []
    for layer in model.network.layers:
        d = targets[layer.name]
        batch = model.batches.get(layer.name, 1)
        weighted = bool(layer.weight_shape)
        from_input = independent or model.network.producers(layer.name) == ("input",)
        steered = independent or weighted
        x = targets[first] if from_input and not independent else d
        rows.append({
            "name": layer.name, "kind": layer.kind,
            "input_shape": list(layer.input_shape), "output_shape": list(layer.output_shape),
            "batch": batch, "macs": layer.macs * batch, "weights": layer.weights,
            "weights_source": "synthetic" if weighted else None,
            "weight_density": d.weight if weighted else None,
            "density_source": d.weight_source if weighted else None,
            "density_origin": d.weight_origin if weighted else None,
            "activations_source": "synthetic" if from_input else "forward",
            "input_density": x.input if steered or from_input else None,
            "input_density_source": x.input_source if steered or from_input else None,
            "input_density_origin": x.input_origin if steered or from_input else None,
        })
    return rows


def _shape(s: list) -> str:
    return "x".join(map(str, s))


def _density(value, source) -> str:
    return "" if value is None else f"{value:.4g} {source}"


@app.command("layers")
def layers_command(
    network: List[str] = typer.Argument(..., help=MODEL_HELP),
    weight_density: Optional[float] = typer.Option(None, help="fraction of synthetic weights kept, in (0, 1]"),
    input_density: Optional[float] = typer.Option(None, help="fraction of non-zero synthetic inputs, in (0, 1]"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
) -> None:
    """List a model's layers: shapes, MACs, weights, and where weights and inputs come from."""
    model = resolve_model(spec_of(network), "layers")
    rows = layer_rows(model, weight_density, input_density)
    net = model.network
    if as_json:
        typer.echo(json.dumps({"network": net.name, "format": model.format, "paths": list(model.paths),
                               "connected": net.connected, "layers": rows}, indent=2))
        return
    kind = "connected network" if net.connected else "independent layers"
    typer.echo(f"{net.name} ({model.format}, {kind}): {len(rows)} layers, "
               f"{sum(r['macs'] for r in rows):,} MACs, {net.weights:,} weights")
    head = (f"{'layer':<24} {'kind':<5} {'input':>14} {'output':>14} {'batch':>5} {'MACs':>14} "
            f"{'weights':>12}  {'weights (density source)':<30} {'inputs (density source)'}")
    typer.echo(head)
    for r in rows:
        w = f"{r['weights_source']} {_density(r['weight_density'], r['density_source'])}" if r["weights_source"] else ""
        x = f"{r['activations_source']} {_density(r['input_density'], r['input_density_source'])}".rstrip()
        typer.echo(f"{r['name'][:24]:<24} {r['kind']:<5} {_shape(r['input_shape']):>14} "
                   f"{_shape(r['output_shape']):>14} {r['batch']:>5} {r['macs']:>14,} {r['weights']:>12,}  "
                   f"{w:<30} {x}")
