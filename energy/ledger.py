"""The energy ledger.

Every access a simulated block makes is booked here as (layer, component, action,
data type, count, energy per action in pJ). Static energy is booked the same way with
action ``leakage`` (power x simulated time) or ``refresh``. All energies are picojoules
(pJ).

The data type says which data the booking served, and is given by the block that books
it, where that is known (a DRAM read of a weight tile, an SB read, an NIBin read of the
neuron mask): ``weights``, ``inputs``, ``outputs`` (final output activations),
``psums`` (partial sums), ``indexes`` (neuron and synapse bitmasks, step indexes).
Energy that serves no one data type has one of three further labels: ``compute``
(arithmetic on operands already delivered: multiplies, adds, non-linear functions),
``control`` (instruction decode) and ``static`` (leakage and refresh). A booking without
a data type is ``unattributed``; the actors of this simulator give one for every
booking, so that label appearing in a breakdown marks a block that does not.

Bookings are aggregated on the fly by (layer, component, action, data type), so a
ledger costs memory proportional to the number of distinct keys, not the number of
events. Totals and every breakdown are computed from the same aggregate, so the total
always equals the sum of any breakdown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pandas is imported by the methods that return frames
    import pandas as pd

COLUMNS = ["layer", "component", "action", "data_type", "count", "energy_pj"]

#: Data that energy is spent to store or move.
DATA_TYPES: tuple[str, ...] = ("weights", "inputs", "outputs", "psums", "indexes")
#: Energy that serves no single data type.
OTHER_TYPES: tuple[str, ...] = ("compute", "control", "static")
UNATTRIBUTED = "unattributed"
ALL_TYPES: tuple[str, ...] = DATA_TYPES + OTHER_TYPES + (UNATTRIBUTED,)


@dataclass(frozen=True)
class Booking:
    layer: str
    component: str
    action: str
    count: float
    energy_pj: float
    data_type: str = UNATTRIBUTED


def check_data_type(data_type: str | None, component: str = "?", action: str = "?") -> str:
    """The data type of a booking (``None`` -> ``unattributed``); unknown names are refused."""
    if data_type is None:
        return UNATTRIBUTED
    if data_type not in ALL_TYPES:
        raise ValueError(f"data type of {component}/{action} must be one of {', '.join(ALL_TYPES)}, "
                         f"got {data_type!r}")
    return data_type


class EnergyLedger:
    """Aggregating ledger of energy bookings (all energies in pJ)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str, str], list[float]] = {}
        self.layer = ""  # current layer; set by whoever drives the simulation

    # -- booking ---------------------------------------------------------------
    def book(self, component: str, action: str, count: float, pj_each: float,
             layer: str | None = None, data_type: str | None = None) -> float:
        """Book ``count`` actions of ``pj_each`` pJ each, serving ``data_type`` (one of
        :data:`ALL_TYPES`); returns the energy booked (pJ)."""
        if count < 0:
            raise ValueError(f"count must be >= 0 (component={component!r}, action={action!r}, got {count})")
        if pj_each < 0:
            raise ValueError(f"energy per action must be >= 0 pJ (component={component!r}, action={action!r}, got {pj_each})")
        dtype = data_type if data_type in ALL_TYPES else check_data_type(data_type, component, action)
        if count == 0:
            return 0.0
        key = (self.layer if layer is None else layer, component, action, dtype)
        energy = count * pj_each
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = [count, energy]
        else:
            entry[0] += count
            entry[1] += energy
        return energy

    def book_static(self, component: str, power_mw: float, seconds: float,
                    action: str = "leakage", layer: str | None = None) -> float:
        """Book static energy = power (mW) x time (s), converted to pJ (1 mW*s = 1e9 pJ);
        its data type is ``static``."""
        if power_mw < 0 or seconds < 0:
            raise ValueError(f"static power and time must be >= 0 ({component}: {power_mw} mW, {seconds} s)")
        energy = power_mw * seconds * 1e9
        return self.book(component, action, 1, energy, layer=layer, data_type="static") if energy else 0.0

    def merge(self, other: "EnergyLedger", layer: str | None = None) -> None:
        """Add every booking of ``other`` into this ledger (optionally relabelled to ``layer``)."""
        for (lay, comp, act, dtype), (count, energy) in other._entries.items():
            key = (layer if layer is not None else lay, comp, act, dtype)
            entry = self._entries.setdefault(key, [0.0, 0.0])
            entry[0] += count
            entry[1] += energy

    # -- reading ---------------------------------------------------------------
    def bookings(self) -> Iterable[Booking]:
        for (lay, comp, act, dtype), (count, energy) in self._entries.items():
            yield Booking(lay, comp, act, count, energy, dtype)

    def entries(self) -> list[tuple[str, str, str, float, float]]:
        """Aggregated bookings summed over layers: (component, action, data_type, count,
        energy_pj), in order of first booking."""
        out: dict[tuple[str, str, str], list[float]] = {}
        for (_, comp, act, dtype), (count, energy) in self._entries.items():
            e = out.setdefault((comp, act, dtype), [0.0, 0.0])
            e[0] += count
            e[1] += energy
        return [(c, a, d, n, e) for (c, a, d), (n, e) in out.items()]

    def total_pj(self) -> float:
        return float(sum(e for _, e in self._entries.values()))

    def frame(self) -> pd.DataFrame:
        """All aggregated bookings: layer, component, action, data_type, count, energy_pj."""
        import pandas as pd
        rows = [(l, c, a, d, n, e) for (l, c, a, d), (n, e) in self._entries.items()]
        return pd.DataFrame(rows, columns=COLUMNS)

    def _by(self, keys: list[str]) -> pd.DataFrame:
        import pandas as pd
        df = self.frame()
        if df.empty:
            return pd.DataFrame(columns=keys + ["count", "energy_pj"])
        return df.groupby(keys, as_index=False)[["count", "energy_pj"]].sum()

    def by_component(self) -> pd.DataFrame:
        return self._by(["component"])

    def by_action(self) -> pd.DataFrame:
        return self._by(["action"])

    def by_layer(self) -> pd.DataFrame:
        return self._by(["layer"])

    def by_data_type(self) -> pd.DataFrame:
        return self._by(["data_type"])

    def by_component_action(self) -> pd.DataFrame:
        return self._by(["component", "action"])

    def _totals(self, index: int) -> dict[str, float]:
        out: dict[str, float] = {}
        for key, (_, energy) in self._entries.items():
            out[key[index]] = out.get(key[index], 0.0) + energy
        return out

    def component_totals(self) -> dict[str, float]:
        """{component: pJ}; its values sum to :meth:`total_pj`."""
        return self._totals(1)

    def action_totals(self) -> dict[str, float]:
        return self._totals(2)

    def data_type_totals(self) -> dict[str, float]:
        """{data type: pJ}; its values sum to :meth:`total_pj`."""
        return self._totals(3)

    def count(self, component: str | None = None, action: str | None = None,
              data_type: str | None = None) -> float:
        """Total count of bookings matching the given component, action and/or data type."""
        return float(sum(n for (_, c, a, d), (n, _) in self._entries.items()
                         if (component is None or c == component) and (action is None or a == action)
                         and (data_type is None or d == data_type)))

    def __len__(self) -> int:
        return len(self._entries)


class Tally:
    """Bookings summed per (component, action, price, data type) and written to a ledger
    in one go (:meth:`flush`): a simulation that books the same few actions many thousands
    of times pays one addition per booking. The counts written are the same sums; the
    energy of a key is its summed count times its price, which differs from the sum of
    the per-booking products only by floating-point rounding (about 1e-16 relative).

    A block that books one action over and over takes its key once (:meth:`account`,
    which checks the price and data type) and then adds to it (:meth:`add`). Keys are
    written to the ledger in the order of their first booking either way."""

    def __init__(self, ledger: EnergyLedger) -> None:
        self.ledger = ledger
        self._counts: dict[tuple[str, str, float, str | None], float] = {}

    def book(self, component: str, action: str, count: float, pj_each: float, data_type: str | None = None) -> None:
        if count < 0:
            raise ValueError(f"count must be >= 0 (component={component!r}, action={action!r}, got {count})")
        key = (component, action, pj_each, data_type)
        self._counts[key] = self._counts.get(key, 0) + count

    def account(self, component: str, action: str, pj_each: float,
                data_type: str | None = None) -> tuple[str, str, float, str | None]:
        """The key under which :meth:`add` books ``component``/``action`` at ``pj_each``
        pJ each, serving ``data_type`` (both checked here, once)."""
        if pj_each < 0:
            raise ValueError(f"energy per action must be >= 0 pJ (component={component!r}, action={action!r}, "
                             f"got {pj_each})")
        check_data_type(data_type, component, action)
        return (component, action, pj_each, data_type)

    def add(self, key: tuple[str, str, float, str | None], count: float) -> None:
        """Book ``count`` more actions under ``key`` (from :meth:`account`). Counts are
        not checked here: the simulated blocks add sizes, which are never negative."""
        counts = self._counts
        counts[key] = counts.get(key, 0) + count

    def flush(self) -> None:
        for (component, action, pj_each, data_type), count in self._counts.items():
            self.ledger.book(component, action, count, pj_each, data_type=data_type)
        self._counts.clear()
