"""``search-prior``: search with the policy prior versus a uniform prior, and by path depth (Fig. 6)."""

from mzlab.analysis.experiment import Experiment, ExtraFigure, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="search-prior",
    run="mzlab.analysis.search_prior:run_search_prior",
    tables=(
        ResultTable(
            "search-prior",
            SummarySpec(("step", "prior", "leaf", "num_simulations"),
                        ("path_error", "tv_distance", "kl_divergence", "mean_depth", "prior_entropy",
                         "prior_top", "visits_on_prior_top"),
                        "num_simulations",
                        ("prior", "leaf"), "Search with the policy prior versus a uniform prior (Fig. 6)"),
            figure="mzlab.plots.analysis_figures:plot_search_prior",
            caption=("Learned-model MCTS guided by the policy prior (blue) or a uniform prior (orange), with "
                     "random-rollout (solid) or value-network (dashed) leaves, over the number of simulations: the "
                     "value error of the simulated paths, and the total variation and KL(visits || prior) between "
                     "the root visit distribution and the policy prior (Fig. 6)."),
            extra_figures=(ExtraFigure(
                "over-training", "mzlab.plots.search_prior_training:plot_search_prior_over_training",
                "Fig. 6 over training: the same measures at the largest simulation count against the checkpoint "
                "step, with the entropy of the network's policy prior (log A nats is uniform over A actions)."),)),
        ResultTable(
            "search-prior-depth",
            SummarySpec(("step", "prior", "leaf", "num_simulations", "depth"), ("path_error", "path_fraction"),
                        "depth", ("prior", "leaf"), "Fig. 6's path error by path depth, and the depth distribution"),
            figure="mzlab.plots.analysis_figures:plot_search_prior_depth",
            caption=("Fig. 6's path error split by path depth k at the largest simulation count (left; a mean over "
                     "the states that have paths of depth k) and the share of paths at each depth (right), per "
                     "prior and leaf evaluation."),
            extra_figures=(ExtraFigure(
                "gap-over-training", "mzlab.plots.search_prior_training:plot_depth_matched_gap_over_training",
                "Path error of the uniform-prior search minus the policy-prior search at equal path depth (mean "
                "over the depths both reach), at the largest simulation count, over training: above zero, the "
                "policy prior's paths are the more accurate once depth is matched."),)),
    ),
    uses=("simulations", "planning_horizon", "planning_leaves"),
    cache_version=4,  # 3: the prior_entropy column; 4: prior_top, visits_on_prior_top
    order=50,
)
