"""``planning``: return of planning with the learned versus the true model, policy versus uniform prior (Fig. 7)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="planning",
    run="mzlab.analysis.planning:run_planning",
    tables=(ResultTable(
        "planning",
        SummarySpec(("step", "model", "prior", "leaf", "num_simulations"), ("return",), "num_simulations",
                    ("model", "prior", "leaf"), "Planning with the learned versus the true model (Fig. 7)"),
        figure="mzlab.plots.analysis_figures:plot_planning",
        caption=("Return of MCTS acting in the real environment with the learned (orange) or ground-truth "
                 "(green) model, policy (solid) or uniform (dashed) prior, over the number of simulations; the "
                 "policy prior alone dotted, with its band (Fig. 7).")),),
    uses=("simulations", "planning_horizon", "planning_leaves", "num_episodes", "max_episode_steps"),
    cache_version=2,
    order=60,
)
