"""Shared pytest options."""


def pytest_addoption(parser):
    parser.addoption("--pin-all", action="store_true", default=False,
                     help="compare every pinned network (VGG16 and ResNet18 too: minutes) against "
                          "tests/data/regression_pin.json")
