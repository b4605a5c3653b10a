"""Energy accounting: one ledger that every simulated block books into, and the
per-access energy tables (data files) it prices bookings with."""
from energy.ledger import EnergyLedger
from energy.tables import EnergyTable, available_tables, load_table

__all__ = ["EnergyLedger", "EnergyTable", "load_table", "available_tables"]
