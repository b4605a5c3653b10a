"""``socsim zoo``: list the network zoo with layer counts, weights and MACs.

Weights are weight parameters without biases; MACs are per sample, of convolution, fully
connected and recurrent-cell matrices only (see :mod:`workloads.layers`).
"""
from __future__ import annotations

import json

import typer

from soc.cli import app


def zoo_rows() -> list[dict]:
    from workloads.zoo import get_network, list_networks
    rows = []
    for name in list_networks():
        net = get_network(name)
        rows.append({"name": name, "layers": len(net), "weighted_layers": len(net.weighted_layers()),
                     "weights": net.weights, "macs": net.macs, "input_shape": list(net.input_shape)})
    return rows


@app.command()
def zoo(as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table")) -> None:
    """List every network of the zoo: layers, weights (no biases) and MACs per sample."""
    rows = zoo_rows()
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    typer.echo(f"{'network':<14} {'layers':>6} {'weighted':>8} {'weights':>14} {'MACs':>16}  input")
    for r in rows:
        shape = "x".join(map(str, r["input_shape"]))
        typer.echo(f"{r['name']:<14} {r['layers']:>6} {r['weighted_layers']:>8} {r['weights']:>14,} "
                   f"{r['macs']:>16,}  {shape}")
