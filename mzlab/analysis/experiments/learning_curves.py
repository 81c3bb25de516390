"""``learning-curves``: return of the MCTS policy and of the policy prior alone over training (Figs. 2, 8)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="learning-curves",
    run="mzlab.analysis.learning_curves:run_learning_curves",
    tables=(ResultTable(
        "learning-curves",
        SummarySpec(("step", "policy", "actions"), ("return",), "step", ("policy", "actions"),
                    "Return of the MCTS policy and the prior alone (paper Figs. 2, 8)"),
        figure="mzlab.plots.analysis_figures:plot_learning_curves",
        caption=("Return of MuZero's behaviour policy (MCTS) and of the policy prior alone, actions sampled "
                 "(solid) or greedy (dashed), over training steps (paper Figs. 2 and 8).")),),
    uses=("num_episodes", "max_episode_steps"),
    every_checkpoint=True,
    cache_version=2,
    order=10,
)
