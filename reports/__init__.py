"""Reports: tables, plots, HTML and traces made from simulation results."""
