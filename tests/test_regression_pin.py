"""Whole networks still cost what the pin says (tests/regression_pin.py has the rules).

LeNet-5 and AlexNet on the three shipped designs run in the regular suite; VGG16 and
ResNet18 (minutes) with ``pytest --pin-all tests/test_regression_pin.py``.
"""
import copy

import pytest
from regression_pin import ARCHS, NETWORKS, PIN_PATH, compare, load_pin, measure

REGULAR = ("lenet5", "alexnet")


@pytest.fixture(scope="module")
def pin():
    return load_pin(PIN_PATH)


@pytest.mark.parametrize("arch", ARCHS)
@pytest.mark.parametrize("network", NETWORKS)
def test_network_matches_pin(network, arch, pin, request):
    if network not in REGULAR and not request.config.getoption("--pin-all"):
        pytest.skip(f"{network}: run with --pin-all")
    record = pin["runs"][f"{network}/{arch}"]
    bad, notes = compare(record, measure(network, arch, pin["seed"]))
    assert not bad, "\n".join(bad + notes)


@pytest.fixture(scope="module")
def lenet_dense(pin):
    return pin["runs"]["lenet5/dense"]


def test_compare_finds_a_changed_count(lenet_dense):
    new = copy.deepcopy(lenet_dense)
    layer = new["layers"]["conv1"]
    key = next(iter(layer["counts"]))
    layer["counts"][key] += 1
    bad, _ = compare(lenet_dense, new)
    assert any(key in line and "count" in line for line in bad)


def test_compare_allows_repricing_but_not_a_changed_static_power(lenet_dense):
    new = copy.deepcopy(lenet_dense)
    layer = new["layers"]["conv1"]
    key = next(k for k, c in layer["counts"].items() if c)
    layer["dynamic_pj"][key] *= 1.25              # a new price for one action: a note, not a failure
    bad, notes = compare(lenet_dense, new)
    assert not bad and any("repriced" in n for n in notes)
    new = copy.deepcopy(lenet_dense)
    skey = next(iter(new["layers"]["conv1"]["static_pj"]))
    new["layers"]["conv1"]["static_pj"][skey] *= 1.01   # same prices, different leakage: a failure
    bad, _ = compare(lenet_dense, new)
    assert any("static power" in line for line in bad)


def test_compare_cycle_tolerance(lenet_dense):
    new = copy.deepcopy(lenet_dense)
    layer = new["layers"]["conv1"]
    pinned = lenet_dense["layers"]["conv1"]
    layer["cycles"] = round(pinned["cycles"] * 1.005)
    for key in layer["static_pj"]:            # leakage follows the time
        layer["static_pj"][key] = pinned["static_pj"][key] / pinned["cycles"] * layer["cycles"]
    new["cycles"] += layer["cycles"] - lenet_dense["layers"]["conv1"]["cycles"]
    bad, notes = compare(lenet_dense, new)
    assert not bad and any("cycles" in n for n in notes)
    layer["cycles"] = round(lenet_dense["layers"]["conv1"]["cycles"] * 1.05)
    bad, _ = compare(lenet_dense, new)
    assert any("conv1: cycles" in line for line in bad)
