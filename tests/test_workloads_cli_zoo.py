import json

import typer
from typer.testing import CliRunner

from soc.cli.zoo import zoo
from workloads.zoo import get_network, list_networks


def _app():
    # a group with a callback so that `zoo` is a sub-command whatever else is registered
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command()(zoo)
    return app


def test_zoo_json_lists_every_network_with_totals():
    result = CliRunner().invoke(_app(), ["zoo", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["name"] for r in rows] == list_networks()
    alex = next(r for r in rows if r["name"] == "alexnet")
    net = get_network("alexnet")
    assert (alex["layers"], alex["weights"], alex["macs"]) == (len(net), net.weights, net.macs)


def test_zoo_table_names_every_network():
    result = CliRunner().invoke(_app(), ["zoo"])
    assert result.exit_code == 0
    for name in list_networks():
        assert name in result.output
    assert "60,954,656" in result.output
