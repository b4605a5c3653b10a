# %% [markdown]
# # socsim from Python: a run, a comparison and a plot
#
# A notebook in the "percent" format (each `# %%` is a cell; Jupyter opens it with
# jupytext, VS Code and Spyder run the cells as they are, and `python notebook.py`
# runs it whole). It uses LeNet-5 so that it runs in seconds; put "alexnet" in NETWORK
# for the figures of the README (about a minute per design).

# %%
import os

from soc.analysis import compare, run

NETWORK = os.environ.get("SOCSIM_EXAMPLE_NETWORK", "lenet5")
OUT = os.environ.get("SOCSIM_EXAMPLE_OUT")  # a directory for the figures, or None

# %% [markdown]
# ## One run: flat DataFrames

# %%
r = run(NETWORK, "coarse-sparse")
layers = r.layers()          # one row per layer; every column a scalar
print(layers[["name", "kind", "cycles", "energy_pj", "operational_intensity", "attained_macs_per_s",
              "bound"]].to_string(index=False))

# %%
by_type = r.energy(by="data_type")          # energy_pj and share_pct; sums to the run's energy
print(by_type.to_string(index=False))
assert abs(by_type["energy_pj"].sum() - r.summary()["energy_pj"].iloc[0]) < 1e-6 * by_type["energy_pj"].sum()

# %%
summary = r.summary()         # one row: totals, roofline and efficiency metrics
print(summary[["cycles", "energy_pj", "useful_macs_per_joule", "energy_per_useful_mac_pj", "bound"]])

# %% [markdown]
# ## A comparison of three designs

# %%
c = compare(NETWORK, ["coarse-sparse", "weight-sparse", "dense"])
print(c.table()[["arch", "cycles", "energy_pj", "speedup_vs_dense", "energy_ratio_vs_dense"]].to_string(index=False))
print(c.layer_ratios().head(10).to_string(index=False))

# %% [markdown]
# ## Plots are matplotlib Figures (a notebook shows them; here they are saved)

# %%
figures = {"roofline": r.plot("roofline"), "energy_by_data_type": r.plot("energy_by_data_type"),
           "layer_ratios": c.plot("layer_ratios"), "energy_by_design_component": c.plot("energy_by_design_component")}
if OUT:
    os.makedirs(OUT, exist_ok=True)
    for name, fig in figures.items():
        fig.savefig(os.path.join(OUT, f"{name}.png"), dpi=110, bbox_inches="tight")
print(sorted(figures))
