"""Every checkpoint step averaged over the same seeds: common default steps, and a note where seeds are missing."""

from pathlib import Path

import pandas as pd

from mzlab.analysis.options import AnalysisOptions
from mzlab.analysis.session import AnalysisSession
from mzlab.plots.analysis_figures import missing_seeds_note


class StubRun:
    def __init__(self, path, steps):
        self.path = Path(path)
        self._steps = steps

    def select_steps(self, requested):
        return list(self._steps) if requested is None else list(requested)


def test_default_steps_are_those_every_run_has_and_the_others_are_named(capsys):
    session = AnalysisSession.__new__(AnalysisSession)
    session.runs = [StubRun("seed-0", [0, 10, 20, 30]), StubRun("seed-1", [0, 10, 30])]
    session.options = AnalysisOptions()
    session._warned = set()
    assert session.steps(session.runs[0], None, experiment="value-error") == [0, 10, 30]
    assert session.steps(session.runs[1], None, experiment="value-error") == [0, 10, 30]
    error = capsys.readouterr().err
    assert "seed-0: steps [20] are not in every run" in error and error.count("\n") == 1
    assert session.steps(session.runs[0], [20], experiment="value-error") == [20]  # explicit steps are kept


def test_missing_seeds_are_named():
    table = pd.DataFrame({"seed": [0, 1, 0, 1, 0], "step": [0, 0, 10, 10, 20], "value": 1.0})
    assert missing_seeds_note(table, ["step"]) == "present in fewer seeds: step = 20 (1 of 2)"
    assert missing_seeds_note(table[table["step"] < 20], ["step"]) == ""
