"""The ground-truth model: plans with the simulator itself (state = a batch of simulator snapshots)."""

from __future__ import annotations

import numpy as np
import torch

from mzlab.envs.simulator import Simulator
from mzlab.errors import MzlabError
from mzlab.networks.inputs import observations_to_tensor
from mzlab.search.types import RootOutput, StepOutput

__all__ = ["TrueModel"]


class TrueModel:
    """:class:`~mzlab.search.types.Model` over a :class:`~mzlab.envs.simulator.Simulator`.

    Reward from ``simulator.step_snapshots``; discount ``γ`` until the episode ends and 0 for the step that
    ends it (terminated *or* truncated) and every step after (the simulator is absorbing with reward 0, so the
    true value after an episode end is exactly 0). Prior logits and value come from ``network``
    (``initial_inference`` on the true observation, value decoded from its support) when given, else zeros:
    a uniform prior and zero-value leaves. The value of an ended state is 0 either way.
    """

    def __init__(self, simulator: Simulator, *, network: torch.nn.Module | None = None,
                 discount: float | None = None, device: torch.device | str | None = None):
        self.simulator = simulator
        self.network = network
        self.num_actions = int(simulator.num_actions)
        self.discount = float(simulator.discount if discount is None else discount)
        if network is not None and device is None:
            device = next(network.parameters()).device
        self.device = torch.device(device) if device is not None else torch.device("cpu")

    def _predict(self, observations: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        batch = len(observations)
        if self.network is None:
            return np.zeros((batch, self.num_actions)), np.zeros(batch)
        from mzlab.networks.support import support_to_scalar

        with torch.inference_mode():
            inputs = observations_to_tensor(observations, self.device)
            output = self.network.initial_inference(inputs)
            value = support_to_scalar(output.value_logits, self.network.support_size)
            return output.policy_logits.double().cpu().numpy(), value.double().cpu().numpy()

    def root(self, observations: np.ndarray, snapshots: np.ndarray | None = None) -> RootOutput:
        """Prior and value of ``observations[B, ...]``; the state is ``snapshots[B]`` (required)."""
        if snapshots is None:
            raise MzlabError("TrueModel.root needs snapshots: the ground-truth model plans from simulator snapshots")
        if len(snapshots) != len(observations):
            raise MzlabError(f"TrueModel.root: {len(snapshots)} snapshots for {len(observations)} observations; "
                             "pass one snapshot per observation")
        prior_logits, value = self._predict(observations)
        return RootOutput(prior_logits=prior_logits, value=value, state=snapshots)

    def _transition(self, state: np.ndarray, actions: np.ndarray):
        transition = self.simulator.step_snapshots(state, np.asarray(actions))
        ended = np.asarray(transition.terminated) | np.asarray(transition.truncated)
        return transition, ended

    def rollout_step(self, state: np.ndarray, actions: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(reward[B], discount[B], next_state)`` without evaluating the network (for random rollouts)."""
        transition, ended = self._transition(state, actions)
        return np.asarray(transition.rewards, dtype=np.float64), np.where(ended, 0.0, self.discount), \
            transition.snapshots

    def rollout_returns(self, state: np.ndarray, actions: np.ndarray) -> np.ndarray | None:
        """``[R]`` discounted reward sums of ``actions[H, R]`` from ``state[R]`` in one call when the simulator
        offers ``rollout_returns`` (Cart Pole), else None (then the search steps ``rollout_step`` H times)."""
        rollout = getattr(self.simulator, "rollout_returns", None)
        return None if rollout is None else rollout(state, actions, discount=self.discount)

    def step(self, state: np.ndarray, actions: np.ndarray) -> tuple[StepOutput, np.ndarray]:
        """Step the snapshots ``state[B]`` by ``actions[B]`` in the simulator."""
        transition, ended = self._transition(state, actions)
        prior_logits, value = self._predict(transition.observations)
        output = StepOutput(
            reward=np.asarray(transition.rewards, dtype=np.float64),
            discount=np.where(ended, 0.0, self.discount),
            prior_logits=prior_logits,
            value=np.where(ended, 0.0, value),
        )
        return output, transition.snapshots
