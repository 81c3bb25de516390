"""The numbers docs/objectives.md quotes from the objectives study: per variant, each measure per seed, then
mean ± s.e. over seeds (one line per measure and variant, with the per-seed values).

    python benchmarks/objectives_study_summary.py STUDY_DIR

STUDY_DIR is the study of docs/objectives.md (`mzlab sweep ... --variant muzero:... --variant consistency:...
--variant reconstruction:...`, analysed with the commands given there: checkpoints 5,000 / 10,000 / 20,000
for cross-step, the last checkpoint for planning).
"""
# ruff: noqa: E501, E702, B023  (a throwaway table script: each lambda is called at once, inside its loop)
import sys

import numpy as np

from mzlab.report.tables import collect_tables

study = sys.argv[1]
T = collect_tables(study)
out = []
def add(name, per_seed_by_variant):
    for v, s in per_seed_by_variant.items():
        s = s.dropna()
        se = s.std(ddof=1) / np.sqrt(len(s)) if len(s) > 1 else float("nan")
        out.append((name, v, s.mean(), se, len(s), " ".join(f"{x:.3g}" for x in s.values)))
def by_variant(table, f):
    return {v: f(g) for v, g in table.groupby("variant")}
lc = T["learning-curves"]
for step in sorted(lc.step.unique()):
    add(f"greedy MCTS return, step {step}", by_variant(lc, lambda g: g[(g.step == step) & (g.policy == "mcts") & (g.actions == "greedy")].groupby("seed")["return"].mean()))
ve = T["value-error"]; last = ve.step.max()
for h in (1, 5, 10):
    add(f"value-error Def.2 h={h}, step {last}", by_variant(ve, lambda g: g[(g.step == last) & (g.horizon == h)].groupby("seed").policy_error.mean()))
add("value-error Def.2 h=10, mean over steps 5000-20000", by_variant(ve, lambda g: g[(g.step >= 5000) & (g.horizon == 10)].groupby("seed").policy_error.mean()))
sr = T["sequence-rank"]; last = sr.step.max()
def srgap(g):
    g = g[g.step == last]; half = g["rank"].max() / 2
    return g[g["rank"] < half].groupby("seed").error.mean() - g[g["rank"] >= half].groupby("seed").error.mean()
add(f"seq-rank: unlikely half minus likely half, step {last}", by_variant(sr, srgap))
add(f"seq-rank: mean error all sequences, step {last}", by_variant(sr, lambda g: g[g.step == last].groupby("seed").error.mean()))
add(f"seq-rank: mean error 512 least likely, step {last}", by_variant(sr, lambda g: g[(g.step == last) & (g["rank"] < 512)].groupby("seed").error.mean()))
cs = T["cross-step"]
k = cs.horizon.max()
add(f"cross-step off-diagonal mean h={k}", by_variant(cs, lambda g: g[(g.horizon == k) & (g.model_step != g.policy_step)].groupby("seed").policy_error.mean()))
add(f"cross-step diagonal mean h={k}", by_variant(cs, lambda g: g[(g.horizon == k) & (g.model_step == g.policy_step)].groupby("seed").policy_error.mean()))
add(f"cross-step model 20000 on policy 5000 h={k}", by_variant(cs, lambda g: g[(g.horizon == k) & (g.model_step == 20000) & (g.policy_step == 5000)].groupby("seed").policy_error.mean()))
add(f"cross-step model 5000 on policy 20000 h={k}", by_variant(cs, lambda g: g[(g.horizon == k) & (g.model_step == 5000) & (g.policy_step == 20000)].groupby("seed").policy_error.mean()))
sp = T["search-prior"]; last = sp.step.max(); top = sp.num_simulations.max()
for prior in ("policy", "uniform"):
    for col in ("path_error", "tv_distance", "kl_divergence", "mean_depth"):
        add(f"search-prior {prior} {col}, {top} sims, step {last}", by_variant(sp, lambda g: g[(g.step == last) & (g.num_simulations == top) & (g.prior == prior)].groupby("seed")[col].mean()))
pl = T["planning"]
for model, prior, sims in (("none", "policy", 0), ("learned", "policy", 100), ("learned", "uniform", 100), ("true", "policy", 100), ("true", "uniform", 100), ("learned", "policy", 5), ("learned", "uniform", 5)):
    add(f"planning {model}/{prior}/{sims} sims return", by_variant(pl, lambda g: g[(g.model == model) & (g.prior == prior) & (g.num_simulations == sims)].groupby("seed")["return"].mean()))
for name, v, m, se, n, vals in out:
    print(f"{name:58s} {v:15s} {m:9.3f} ± {se:7.3f} (n={n}) [{vals}]")
