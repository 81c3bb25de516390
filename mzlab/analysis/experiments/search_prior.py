"""``search-prior``: search with the policy prior versus a uniform prior, and by path depth (Fig. 6)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="search-prior",
    run="mzlab.analysis.search_prior:run_search_prior",
    tables=(
        ResultTable(
            "search-prior",
            SummarySpec(("step", "prior", "leaf", "num_simulations"),
                        ("path_error", "tv_distance", "kl_divergence", "mean_depth"), "num_simulations",
                        ("prior", "leaf"), "Search with the policy prior versus a uniform prior (Fig. 6)"),
            figure="mzlab.plots.analysis_figures:plot_search_prior"),
        ResultTable(
            "search-prior-depth",
            SummarySpec(("step", "prior", "leaf", "num_simulations", "depth"), ("path_error", "path_fraction"),
                        "depth", ("prior", "leaf"), "Fig. 6's path error by path depth, and the depth distribution"),
            figure="mzlab.plots.analysis_figures:plot_search_prior_depth"),
    ),
    uses=("simulations", "planning_horizon", "planning_leaves"),
    cache_version=2,
    order=50,
)
