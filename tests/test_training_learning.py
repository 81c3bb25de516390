"""Learning (slow, not in the default suite): the paper's Cart Pole preset reaches a mean greedy MCTS return
>= 475 over 32 episodes. Run with ``pytest -m slow tests/test_training_learning.py``."""

import numpy as np
import pytest

from mzlab.config import preset
from mzlab.runs import RunDirectory
from mzlab.training.evaluation import evaluate_network
from mzlab.training.loop import Trainer


class Reached(Exception):
    pass


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_cartpole_paper_preset_reaches_475(tmp_path):
    config = preset("cartpole")
    trainer = Trainer(config, RunDirectory.create_or_resume(tmp_path / "run", config), progress=False)
    best = []

    def evaluate(t):
        if t.learner.step % 500 == 0:
            returns = evaluate_network(t.network, config, episodes=32, policy="mcts", actions="greedy", seed=12345,
                                       training_step=t.learner.step)
            best.append(float(np.mean(returns)))
            if best[-1] >= 475:
                raise Reached

    with pytest.raises(Reached):
        trainer.run(max_steps=20_000, on_step=evaluate)
    assert max(best) >= 475
