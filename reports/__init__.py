"""Reports: tables, plots, HTML and traces made from simulation results.

Reports take plain data (per-layer result dicts as from ``LayerResult.to_dict()``,
network summaries, activity records) and never import SimPy or the simulated actors:
data flows one way, results -> reports.

- ``reports.rows``    per-layer rows as plain dicts and their network totals (no pandas: a run's
                      layers.csv and summary.json need nothing heavier while it simulates)
- ``reports.tables``  per-layer table, network summary, energy breakdowns, design comparison
- ``reports.writer``  ``RunWriter``: layers.csv row by row as layers finish, summary.json at the end
- ``reports.plots``   energy by component, cycles per layer, design ratios (Agg, no display;
                      each figure laid out and drawn once)
- ``reports.html``    one self-contained HTML report (run, or design comparison)
- ``reports.trace``   Chrome Trace Event Format timeline of the actors' activity, size-capped
- ``reports.bundle``  all report files of a run or a comparison in one call
"""
