"""``sequence-rank``: error of every action sequence, ranked from least to most likely (Fig. 4)."""

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec

EXPERIMENT = Experiment(
    name="sequence-rank",
    run="mzlab.analysis.sequence_rank:run_sequence_rank",
    tables=(ResultTable(
        "sequence-rank",
        SummarySpec(("step", "rank"), ("error", "probability"), "rank", ("step",),
                    "Error of action sequences ranked from least to most likely (Fig. 4)"),
        figure="mzlab.plots.analysis_figures:plot_sequence_rank",
        caption=("Every action sequence of length L from each on-policy state, ranked from least to most "
                 "likely under the behaviour policy: its probability (blue, left axis) and its value "
                 "prediction error |G_L - Ĝ_L| (orange, right axis) (Fig. 4).")),),
    uses=("sequence_length", "noise_draws"),
    cache_version=2,
    order=30,
)
