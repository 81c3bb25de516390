"""``learning-curves``: return of the MCTS policy and of the policy prior alone over training (Figs. 2, 8)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="learning-curves",
    run="mzlab.analysis.learning_curves:run_learning_curves",
    tables=(ResultTable(
        "learning-curves",
        SummarySpec(("step", "policy", "actions"), ("return",), "step", ("policy", "actions"),
                    "Return of the MCTS policy and the prior alone (paper Figs. 2, 8)"),
        figure="mzlab.plots.analysis_figures:plot_learning_curves"),),
    uses=("num_episodes", "max_episode_steps"),
    every_checkpoint=True,
    cache_version=2,
    order=10,
)
