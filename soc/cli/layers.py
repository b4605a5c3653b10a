"""``socsim layers MODEL [--json]``: the layers of any model, as ``socsim run`` would run them.

Per layer: name, kind, input and output shapes (per sample, ``(C, H, W)`` or ``(N,)``),
the layer's own batch (independent layers of a Timeloop problem with ``N`` > 1), MACs
(per sample times the layer's batch; conv, fc and recurrent matrices only) and weights
(no biases), then where its weights and inputs would come from and at what target
density, with the source of each density (:mod:`workloads.density`). Nothing is
simulated, except for a workload script: its layers exist only when it runs, so the
script is run once on the design (``--arch``, default coarse-sparse) and every forward
call it makes is listed (its weights and inputs are the script's own).
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


def script_rows(path, cfg, seed: int = 0) -> list[dict]:
    """The layers of a workload script, one per forward call, by running it on ``cfg``."""
    import inspect

    from soc.runtime import api
    from soc.runtime.network import load_script
    fn = load_script(path)
    handle = api.Handle(cfg)
    if "seed" in inspect.signature(fn).parameters:
        fn(handle, seed=seed)
    else:
        fn(handle)
    batches = {r.name: r for r in handle.results}
    rows = []
    for layer in handle.described:
        r = batches.get(layer.name)
        rows.append({"name": layer.name, "kind": layer.kind, "input_shape": list(layer.input_shape),
                     "output_shape": list(layer.output_shape), "batch": 1,
                     "macs": int(r.dense_macs) if r is not None and layer.weight_shape else layer.macs,
                     "weights": layer.weights, "weights_source": "script" if layer.weight_shape else None,
                     "weight_density": None, "density_source": None, "density_origin": None,
                     "activations_source": "script", "input_density": None, "input_density_source": None,
                     "input_density_origin": None})
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
    arch: Optional[str] = typer.Option(None, "--arch", help="design a workload script runs on (scripts only)"),
    seed: int = typer.Option(0, help="seed passed to a workload script that takes one (scripts only)"),
) -> None:
    """List a model's layers: shapes, MACs, weights, and where weights and inputs come from
    (a workload script is run once to list the forward calls it makes)."""
    spec = spec_of(network)
    if spec.endswith(".py"):
        _list_script(spec, arch, seed, as_json)
        return
    model = resolve_model(spec, "layers")
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


def _list_script(path: str, arch: Optional[str], seed: int, as_json: bool) -> None:
    from pathlib import Path

    from soc.cli import UserError
    from soc.cli.netopts import resolve_design
    from soc.runtime.network import WorkloadScriptError
    cfg = resolve_design(arch)
    if not Path(path).is_file():
        raise UserError(f"workload script {path}: no such file")
    try:
        rows = script_rows(path, cfg, seed)
    except WorkloadScriptError as exc:
        raise UserError(str(exc)) from None
    except ValueError as exc:
        raise UserError(f"workload script {path}: {exc}") from None
    if as_json:
        typer.echo(json.dumps({"network": Path(path).stem, "format": "script", "paths": [path],
                               "connected": True, "run_on": cfg.name, "layers": rows}, indent=2))
        return
    typer.echo(f"{Path(path).stem} (script, listed by running it on {cfg.name}): {len(rows)} layers, "
               f"{sum(r['macs'] for r in rows):,} MACs, {sum(r['weights'] for r in rows):,} weights")
    for r in rows:
        typer.echo(f"{r['name'][:24]:<24} {r['kind']:<5} {_shape(r['input_shape']):>14} "
                   f"{_shape(r['output_shape']):>14} {r['macs']:>14,} {r['weights']:>12,}  "
                   f"{r['weights_source'] or ''}")
