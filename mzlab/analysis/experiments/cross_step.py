"""``cross-step``: the model of checkpoint X evaluating the behaviour policy of checkpoint Y (Figs. 5, 9)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="cross-step",
    run="mzlab.analysis.cross_step:run_cross_step",
    tables=(ResultTable(
        "cross-step",
        SummarySpec(("model_step", "policy_step", "horizon"), ("policy_error", "mean_sequence_error"),
                    "policy_step", ("model_step",),
                    "Model of checkpoint X evaluating the policy of checkpoint Y (Fig. 5 at horizon K, "
                    "Fig. 9 at horizon 50)"),
        figure="mzlab.plots.analysis_figures:plot_cross_step",
        caption=("Def. 2 error of the learned model of checkpoint X (rows) evaluating the behaviour policy of "
                 "checkpoint Y (columns), states from X's on-policy distribution: Fig. 5 at horizon K and Fig. "
                 "9 (Appendix B.1) at the long horizon.")),),
    uses=("horizons", "long_horizon", "num_samples"),
    cache_version=2,
    order=40,
)
