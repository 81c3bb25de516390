"""Learning (slow, not in the default suite): the paper's Cart Pole preset reaches a mean greedy MCTS return
>= 475 over 32 episodes (evaluated every 1,000 learner steps; seed 0 of the preset). About 5 to 15 minutes on
two free cores. Run with ``pytest -m slow tests/test_training_learning.py``."""

import numpy as np
import pytest
import torch

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
        if t.learner.step % 1000 == 0:
            returns = evaluate_network(t.network, config, episodes=32, policy="mcts", actions="greedy", seed=12345,
                                       training_step=t.learner.step)
            best.append(float(np.mean(returns)))
            if best[-1] >= 475:
                raise Reached

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as `mzlab train` does on CPU
    try:
        with pytest.raises(Reached):
            trainer.run(on_step=evaluate)  # the whole paper run (100,000 steps) at most
    finally:
        torch.set_num_threads(threads)
    assert max(best) >= 475
