"""The energy ledger.

Every access a simulated block makes is booked here as (layer, component, action,
count, energy per action in pJ). Static energy is booked the same way with action
``leakage`` (power x simulated time) or ``refresh``. All energies are picojoules (pJ).

Bookings are aggregated on the fly by (layer, component, action), so a ledger costs
memory proportional to the number of distinct keys, not the number of events. Totals
and every breakdown are computed from the same aggregate, so the total always equals
the sum of any breakdown.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Iterable

if TYPE_CHECKING:  # pandas is imported by the methods that return frames
    import pandas as pd

COLUMNS = ["layer", "component", "action", "count", "energy_pj"]


@dataclass(frozen=True)
class Booking:
    layer: str
    component: str
    action: str
    count: float
    energy_pj: float


class EnergyLedger:
    """Aggregating ledger of energy bookings (all energies in pJ)."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str, str], list[float]] = {}
        self.layer = ""  # current layer; set by whoever drives the simulation

    # -- booking ---------------------------------------------------------------
    def book(self, component: str, action: str, count: float, pj_each: float,
             layer: str | None = None) -> float:
        """Book ``count`` actions of ``pj_each`` pJ each; returns the energy booked (pJ)."""
        if count < 0:
            raise ValueError(f"count must be >= 0 (component={component!r}, action={action!r}, got {count})")
        if pj_each < 0:
            raise ValueError(f"energy per action must be >= 0 pJ (component={component!r}, action={action!r}, got {pj_each})")
        if count == 0:
            return 0.0
        key = (self.layer if layer is None else layer, component, action)
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
        """Book static energy = power (mW) x time (s), converted to pJ (1 mW*s = 1e9 pJ)."""
        if power_mw < 0 or seconds < 0:
            raise ValueError(f"static power and time must be >= 0 ({component}: {power_mw} mW, {seconds} s)")
        energy = power_mw * seconds * 1e9
        return self.book(component, action, 1, energy, layer=layer) if energy else 0.0

    def merge(self, other: "EnergyLedger", layer: str | None = None) -> None:
        """Add every booking of ``other`` into this ledger (optionally relabelled to ``layer``)."""
        for (lay, comp, act), (count, energy) in other._entries.items():
            key = (layer if layer is not None else lay, comp, act)
            entry = self._entries.setdefault(key, [0.0, 0.0])
            entry[0] += count
            entry[1] += energy

    # -- reading ---------------------------------------------------------------
    def bookings(self) -> Iterable[Booking]:
        for (lay, comp, act), (count, energy) in self._entries.items():
            yield Booking(lay, comp, act, count, energy)

    def total_pj(self) -> float:
        return float(sum(e for _, e in self._entries.values()))

    def frame(self) -> pd.DataFrame:
        """All aggregated bookings: layer, component, action, count, energy_pj."""
        import pandas as pd
        rows = [(l, c, a, n, e) for (l, c, a), (n, e) in self._entries.items()]
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

    def by_component_action(self) -> pd.DataFrame:
        return self._by(["component", "action"])

    def component_totals(self) -> dict[str, float]:
        """{component: pJ}; its values sum to :meth:`total_pj`."""
        out: dict[str, float] = {}
        for (_, comp, _), (_, energy) in self._entries.items():
            out[comp] = out.get(comp, 0.0) + energy
        return out

    def action_totals(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for (_, _, act), (_, energy) in self._entries.items():
            out[act] = out.get(act, 0.0) + energy
        return out

    def count(self, component: str | None = None, action: str | None = None) -> float:
        """Total count of bookings matching the given component and/or action."""
        return float(sum(n for (_, c, a), (n, _) in self._entries.items()
                         if (component is None or c == component) and (action is None or a == action)))

    def __len__(self) -> int:
        return len(self._entries)


class Tally:
    """Bookings summed per (component, action, price) and written to a ledger in one go
    (:meth:`flush`): a simulation that books the same few actions many thousands of times
    pays one addition per booking. The counts written are the same sums; the energy of a
    key is its summed count times its price, which differs from the sum of the per-booking
    products only by floating-point rounding (about 1e-16 relative)."""

    def __init__(self, ledger: EnergyLedger) -> None:
        self.ledger = ledger
        self._counts: dict[tuple[str, str, float], float] = {}

    def book(self, component: str, action: str, count: float, pj_each: float) -> None:
        if count < 0:
            raise ValueError(f"count must be >= 0 (component={component!r}, action={action!r}, got {count})")
        key = (component, action, pj_each)
        self._counts[key] = self._counts.get(key, 0) + count

    def flush(self) -> None:
        for (component, action, pj_each), count in self._counts.items():
            self.ledger.book(component, action, count, pj_each)
        self._counts.clear()
