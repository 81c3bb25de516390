"""``reward-error``: the learned model's one-step reward prediction against the simulator's reward, for every
on-policy state and action."""

from __future__ import annotations

from dataclasses import dataclass

from mzlab.analysis.experiment import Experiment, ResultTable, SummarySpec
from mzlab.errors import MzlabError
from mzlab.option_flags import option


@dataclass(frozen=True)
class RewardErrorOptions:
    reward_error_actions: tuple[int, ...] | None = option(
        None, "reward-error: the actions scored at each state (default: every action)", metavar="A")

    def validate(self) -> RewardErrorOptions:
        if self.reward_error_actions is not None and min(self.reward_error_actions) < 0:
            raise MzlabError(f"--reward-error-actions must be >= 0, got {list(self.reward_error_actions)}")
        return self


def run_reward_error(session, steps):
    """One row per checkpoint, on-policy state and action: ``true_reward``, ``predicted_reward``, ``error``."""
    import numpy as np
    import pandas as pd

    from mzlab.analysis.session import per_checkpoint

    options = session.experiment_options("reward-error")

    def compute(checkpoint):
        states = session.states(checkpoint)
        root = checkpoint.learned_model.root(states.observations)
        frames = []
        for action in options.reward_error_actions or range(checkpoint.simulator.num_actions):
            actions = np.full(len(states), action, dtype=np.int64)
            predicted, _ = checkpoint.learned_model.step(root.state, actions)
            true = checkpoint.simulator.step_snapshots(states.snapshots, actions).rewards
            frames.append(pd.DataFrame({
                "step": checkpoint.step, "state_index": np.arange(len(states)), "action": action,
                "true_reward": true, "predicted_reward": predicted.reward,
                "error": np.abs(true - predicted.reward)}))
        return pd.concat(frames, ignore_index=True).assign(**checkpoint.constants())

    return pd.concat(per_checkpoint(session, "reward-error", steps, compute), ignore_index=True)


def plot_reward_error(table):
    """Mean one-step reward error over training steps, one line per action (drawn by mzlab.plots)."""
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(4.2, 3.2), layout="constrained")
    for action, group in table.groupby("action"):
        mean = group.groupby("step")["error"].mean()
        axis.plot(mean.index, mean.to_numpy(), marker="o", label=f"action {action}")
    axis.set(xlabel="training step", ylabel="|r - r̂|")
    axis.legend()
    return figure


EXPERIMENT = Experiment(
    name="reward-error",
    run=run_reward_error,
    tables=(ResultTable(
        "reward-error",
        SummarySpec(("step", "action"), ("error",), "step", ("action",),
                    "One-step reward prediction error of the learned model"),
        figure=plot_reward_error),),
    options=RewardErrorOptions,
    description="the learned model's one-step reward error at on-policy states",
)
