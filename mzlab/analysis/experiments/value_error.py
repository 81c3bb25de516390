"""``value-error``: value prediction error of the behaviour policy by horizon (Def. 2, Fig. 3)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="value-error",
    run="mzlab.analysis.value_error:run_value_error",
    tables=(ResultTable(
        "value-error",
        SummarySpec(("step", "horizon"), ("policy_error", "mean_sequence_error"), "horizon", ("step",),
                    "Value prediction error of the behaviour policy by horizon (Fig. 3)"),
        figure="mzlab.plots.analysis_figures:plot_value_error",
        caption=("Value prediction error of the learned model evaluating its own behaviour policy, Def. 2 |E "
                 "G_k - E Ĝ_k| (top) and E|G_k - Ĝ_k| (bottom), over training steps, one line per horizon k "
                 "(Fig. 3).")),),
    uses=("horizons", "num_samples"),
    cache_version=2,
    order=20,
)
