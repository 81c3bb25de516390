"""Frozen configuration dataclasses: the one source of truth for every hyperparameter.

Each field carries a docstring-style comment. Presets reproduce the paper's Tables 1 and 2 (see
``docs/config.md`` for the choices the paper's text left open). Loading, saving and ``--set`` overrides live
in :mod:`mzlab.config_io`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "EnvConfig",
    "NetworkConfig",
    "SearchConfig",
    "ReplayConfig",
    "TrainingConfig",
    "ExperimentConfig",
    "PRESETS",
    "preset",
]


@dataclass(frozen=True)
class EnvConfig:
    name: str = "cartpole"
    """Simulator name, one of ``mzlab envs``."""
    discount: float = 0.997
    """Discount factor gamma used by search, targets and the analysis."""
    reward_scale: float = 1.0
    """Multiplier applied to every environment reward (Lunar Lander: 1/3 as in the paper's implementation)."""
    max_episode_steps: int = 500
    """Episode truncation limit (Cart Pole: 500 as CartPole-v1)."""
    frame_skip: int = 4
    """Atari only: frames per action, the last two max-pooled."""
    frame_stack: int = 4
    """Atari only: stacked observation frames."""
    frame_size: int = 96
    """Atari only: observation height and width."""
    noop_max: int = 30
    """Atari only: upper bound of seeded no-op starts."""
    episodic_life: bool = False
    """Atari only: treat a lost life as episode end during training."""
    clip_rewards: bool = False
    """Atari only: clip training rewards to [-1, 1]."""
    branching: str = "auto"
    """Replay environments only: how batched steps branch snapshots, ``fork`` (forked processes hold frozen
    worlds), ``replay`` (seeded reset plus replay) or ``auto`` (``fork`` for ``lunarlander`` where the platform
    can fork, ``replay`` otherwise). Both give the same futures bit for bit."""
    branch_processes: int = 1024
    """Replay environments with fork branching only: most live snapshot-holding processes."""


@dataclass(frozen=True)
class NetworkConfig:
    kind: str = "fully_connected"
    """A registered network (``mzlab.networks.registry``): ``fully_connected`` (vector observations) or
    ``resnet`` (Atari frames)."""
    encoding_size: int = 8
    """Latent state size of the fully connected network."""
    hidden_layers: tuple[int, ...] = (16,)
    """Hidden layer sizes of every fully connected head (dynamics, reward, value, policy)."""
    representation_layers: tuple[int, ...] = ()
    """Hidden layer sizes of the representation function (the paper's implementation: none)."""
    support_size: int = 10
    """Categorical support [-S, S] of the transformed value and reward."""
    num_blocks: int = 1
    """ResNet only: residual blocks per function."""
    num_channels: int = 64
    """ResNet only: channels of the residual trunk."""
    downsample: bool = True
    """ResNet only: downsample 96x96 frames to 6x6 as in EfficientZero."""
    state_norm: bool = True
    """Min-max scale every latent to [0, 1] per sample after ``h`` and each ``g`` (muzero-general, MuZero's
    appendix); ``False`` leaves latents unscaled (EfficientZero's ``state_norm=False``)."""


@dataclass(frozen=True)
class SearchConfig:
    num_simulations: int = 50
    """Simulations per search (per move)."""
    c1: float = 1.25
    """pUCT constant c1 (Eq. 2)."""
    c2: float = 19652.0
    """pUCT constant c2 (Eq. 2)."""
    dirichlet_alpha: float = 0.25
    """Root Dirichlet noise concentration."""
    dirichlet_fraction: float = 0.25
    """Fraction of the root prior replaced by Dirichlet noise."""
    add_noise: bool = True
    """Mix Dirichlet noise into the root prior (training self-play); evaluation turns it off."""
    prior: str = "policy"
    """``policy`` (the network's prior) or ``uniform`` ("free search", paper Section 4)."""
    leaf: str = "value"
    """``value`` (value network at leaves) or ``rollout`` (random rollout of ``rollout_horizon`` steps)."""
    rollout_horizon: int = 50
    """Length H of random leaf rollouts in the same model (no bootstrap)."""
    tie_break: str = "random"
    """Equal pUCT scores: ``random`` (a random order per node, drawn from the search's rng; muzero-general and
    mctx break ties at random) or ``first`` (the lowest action, the published pseudocode's ``max``). Matters
    for the uniform prior, where every unvisited child ties."""
    q_convention: str = "implementation"
    """``implementation``: score normalise(r + g V(child)), feed r + g V(node) to min-max (muzero-general,
    what the paper's agents used); ``pseudocode``: score r + g normalise(V(child)), feed V(node)."""
    algorithm: str = "puct"
    """``puct`` (MuZero: pUCT everywhere, act from the visit counts) or ``gumbel`` (Gumbel MuZero, Danihelka et
    al. 2022, as mctx's ``gumbel_muzero_policy``: Gumbel-top-k + sequential halving at the root, deterministic
    interior selection, improved-policy targets, act with the sequential-halving winner)."""
    max_num_considered_actions: int = 16
    """Gumbel: root actions sampled without replacement (Gumbel-top-k) for sequential halving (mctx: 16)."""
    gumbel_scale: float = 1.0
    """Gumbel: scale of the root Gumbel noise when ``add_noise`` (mctx: 1.0); 0 = deterministic."""
    gumbel_c_visit: float = 50.0
    """Gumbel: ``c_visit`` of ``sigma(q) = (c_visit + max_b N(b)) c_scale q`` (mctx ``maxvisit_init``: 50)."""
    gumbel_c_scale: float = 0.1
    """Gumbel: ``c_scale`` of ``sigma`` (mctx ``value_scale``: 0.1)."""
    kernel: str = "auto"
    """How the simulations run: ``auto`` (all of them in one numba call when supported: pUCT, value leaves,
    the learned model's CPU numba step; otherwise the Python loop) or ``python`` (always the Python loop over
    simulations and torch's root, the previous implementation). From the same root both give bit-identical
    searches; ``auto``'s numba root equals torch's only to float rounding."""


@dataclass(frozen=True)
class ReplayConfig:
    capacity: int = 500
    """Buffer capacity, in units of ``capacity_unit``."""
    capacity_unit: str = "games"
    """``games`` or ``transitions``."""
    prioritized: bool = True
    """Prioritised sampling with priority |nu - z|^alpha."""
    priority_alpha: float = 0.5
    """Priority exponent alpha."""
    priority_beta: float = 1.0
    """Importance-weight exponent beta (weights normalised by their maximum)."""
    priority_beta_schedule: str = "constant"
    """``constant`` (beta as given, muzero-general) or ``linear`` (beta rises linearly from ``priority_beta`` at
    step 0 to 1 at ``training.training_steps``, EfficientZero's ``LinearSchedule``)."""
    new_priority: str = "value_error"
    """Priority of a newly stored position: ``value_error`` (|nu - z|, muzero-general) or ``max`` (the largest
    priority in the buffer, 1 when empty; EfficientZero's ``use_max_priority``)."""
    num_unroll_steps: int = 10
    """Unroll length K."""
    td_steps: int = 50
    """n of the n-step value target."""
    reanalyse_fraction: float = 1.0
    """Fraction of sampled positions whose targets are refreshed with the latest network."""
    reanalyse_mode: str = "network_value"
    """``network_value``: the bootstrap value nu_{t+n} of the n-step target is the latest network's value
    f(h(o_{t+n})) (muzero-general's ``use_last_model_value``, what the paper's agents used); ``search``: a new
    noise-free search at t+k (nu and pi) and at t+k+n (nu), MuZero Reanalyse; ``policy_search``: nu_{t+n} from the
    value network as ``network_value`` and pi_{t+k} from a new search with root noise as in self-play
    (EfficientZero's reanalysis of policies, ``revisit_policy_search_rate``)."""
    target_network_interval: int = 0
    """0: reanalyse with the latest network; N > 0: with a target network whose weights are refreshed every N
    learner steps to the weights of N steps before (lagging N to 2N steps; EfficientZero's
    ``target_model_interval``)."""


@dataclass(frozen=True)
class TrainingConfig:
    training_steps: int = 100_000
    """Total learner steps."""
    batch_size: int = 128
    """Positions per learner step."""
    optimizer: str = "adam"
    """``adam`` or ``sgd``."""
    learning_rate: float = 0.02
    """Initial learning rate."""
    lr_decay_rate: float = 0.1
    """Exponential decay: lr = lr0 * rate ** (step / lr_decay_steps); 1.0 disables it."""
    lr_decay_steps: int = 50_000
    """Steps over which the learning rate decays by ``lr_decay_rate``."""
    weight_decay: float = 1e-4
    """L2 weight decay."""
    momentum: float = 0.9
    """SGD momentum (unused by Adam)."""
    value_loss_weight: float = 1.0
    """Weight of the value loss."""
    lr_warmup_steps: int = 0
    """Linear learning-rate warm-up from 0 over this many steps; the decay then counts from its end."""
    lr_decay_style: str = "continuous"
    """``continuous``: lr0 * rate ** (s / lr_decay_steps) (muzero-general); ``staircase``:
    lr0 * rate ** floor(s / lr_decay_steps) (EfficientZero); ``s`` = steps after the warm-up."""
    max_grad_norm: float = 0.0
    """Clip the global gradient norm to this value before each step; 0 disables clipping."""
    gradient_scale_mode: str = "dynamics_input"
    """Where the 1/2 gradient scale of the dynamics sits: ``dynamics_input`` (on the latent entering every
    dynamics step, the first included: the paper's text), ``pseudocode`` (entering every dynamics step but the
    first: MuZero's published pseudocode) or ``latent_hook`` (on every dynamics output, so the value and policy
    gradients reaching g are halved too: muzero-general and EfficientZero)."""
    unroll_loss_scale: str = "fixed"
    """Scale of the unrolled losses: ``fixed`` (1/K on steps k >= 1, the pseudocode), ``steps_left``
    (1/min(K, T - t + 1) on steps k >= 1, T the game's moves and t the sampled position: muzero-general) or
    ``whole`` (1/K on every step, k = 0 included: EfficientZero)."""
    objective: str = "muzero"
    """A registered training objective (``mzlab.training.objectives``): ``muzero`` (the paper's loss),
    ``consistency`` (plus EfficientZero's self-predictive loss) or ``reconstruction`` (plus an observation
    decoder). See ``docs/objectives.md``."""
    consistency_weight: float = 2.0
    """``consistency`` only: weight of the negative-cosine consistency loss (EfficientZero's
    ``consistency_coeff`` and LightZero's ``ssl_loss_weight``: 2)."""
    consistency_projection_size: int = 64
    """``consistency`` only: width of the projection's hidden and output layers (EfficientZero and LightZero:
    1024 for latents of 2304 and 128 values; 64 = 8x the Cart Pole latent, LightZero's Cart Pole ratio)."""
    consistency_predictor_hidden_size: int = 32
    """``consistency`` only: hidden width of the predictor head (EfficientZero and LightZero: half the
    projection, 512)."""
    reconstruction_weight: float = 1.0
    """``reconstruction`` only: weight of the decoder's mean squared error."""
    reconstruction_mode: str = "joint"
    """``reconstruction`` only: ``joint`` (the decoder's gradient reaches h and g) or ``probe`` (the decoder
    reads detached latents: the agent trains exactly as with ``muzero``)."""
    reconstruction_decoder_layers: tuple[int, ...] = (16,)
    """``reconstruction`` only: hidden layer sizes of the decoder from the latent to the observation."""
    checkpoint_interval: int = 1000
    """Learner steps between kept checkpoints."""
    num_actors: int = 16
    """Environments played at once by batched self-play."""
    train_ratio: float = 1.0
    """Target learner steps per self-play environment step; self-play pauses above it."""
    warmup_games: int = 4
    """Finished games in the buffer before learning starts."""
    temperature_steps: tuple[int, ...] = (50_000, 75_000)
    """Training steps at which the visit temperature moves to the next value."""
    temperatures: tuple[float, ...] = (1.0, 0.5, 0.25)
    """Visit temperatures, one more than ``temperature_steps``."""
    device: str = "auto"
    """``cpu``, ``cuda`` or ``auto`` (CUDA when available)."""
    compile: str = "off"
    """Learner step: ``off`` = eager, ``on`` = ``torch.compile`` of the same loss + fused optimiser, ``auto`` = on
    for the fully connected network when the run is long enough to repay the compilation (docs/training.md);
    default ``off``: compiling delays the first learner step by 20 s to minutes."""
    self_play_mode: str = "lockstep"
    """``lockstep``: self-play and learner steps alternate in one thread; ``overlap``: the next self-play move
    runs in a second thread while the learner trains, acting with weights one learner block old."""
    acting_weights_refresh: str = "move"
    """When self-play's acting copy of the network takes the learner's weights: ``move`` (before every move)
    or ``game`` (only before a move in which a new game starts; muzero-general's single worker)."""


@dataclass(frozen=True)
class ExperimentConfig:
    env: EnvConfig = field(default_factory=EnvConfig)
    network: NetworkConfig = field(default_factory=NetworkConfig)
    search: SearchConfig = field(default_factory=SearchConfig)
    replay: ReplayConfig = field(default_factory=ReplayConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    seed: int = 0
    """One seed drives numpy, torch and the environments."""


MUZERO_GENERAL_TRAINING = {"gradient_scale_mode": "latent_hook", "unroll_loss_scale": "steps_left", "num_actors": 1,
                           "acting_weights_refresh": "game"}
"""What the paper's vector agents trained with (muzero-general's ``trainer.py``, ``games/*.py``: ``num_workers
= 1``; its self-play worker copies the latest weights at the start of each game); see docs/config.md."""


def _cartpole() -> ExperimentConfig:
    # muzero-general games/cartpole.py: max_moves = 500, ratio = 1.5 (learner steps per played step)
    return ExperimentConfig(training=TrainingConfig(train_ratio=1.5, **MUZERO_GENERAL_TRAINING))


def _lunarlander() -> ExperimentConfig:
    return ExperimentConfig(
        # muzero-general games/lunarlander.py: max_moves = 700; ratio = None (unthrottled; see docs/config.md)
        env=EnvConfig(name="lunarlander", discount=0.999, reward_scale=1.0 / 3.0, max_episode_steps=700),
        network=NetworkConfig(encoding_size=10, hidden_layers=(64,)),
        replay=ReplayConfig(td_steps=30),
        training=TrainingConfig(
            training_steps=1_000_000,
            batch_size=64,
            learning_rate=0.005,
            lr_decay_rate=1.0,
            temperature_steps=(),
            temperatures=(0.35,),
            **MUZERO_GENERAL_TRAINING,
        ),
    )


EFFICIENTZERO_TRAINING_STEPS = 500_000
"""The paper's Breakout run: EfficientZero's Atari configuration extended to 500k learner steps."""


def _breakout() -> ExperimentConfig:
    # EfficientZero config/atari/__init__.py, core/config.py, core/train.py, main.py/train.sh (docs/config.md)
    steps = EFFICIENTZERO_TRAINING_STEPS
    return ExperimentConfig(
        env=EnvConfig(name="breakout", discount=0.997**4, max_episode_steps=12_000 // 4, clip_rewards=True,
                      episodic_life=True),
        network=NetworkConfig(kind="resnet", support_size=300, state_norm=False),
        search=SearchConfig(dirichlet_alpha=0.3),
        replay=ReplayConfig(capacity=100_000, capacity_unit="transitions", num_unroll_steps=5, td_steps=5,
                            priority_alpha=0.6, priority_beta=0.4, priority_beta_schedule="linear",
                            new_priority="max", reanalyse_mode="policy_search", reanalyse_fraction=0.99,
                            target_network_interval=200),
        training=TrainingConfig(
            training_steps=steps,
            batch_size=256,
            optimizer="sgd",
            learning_rate=0.2,
            lr_warmup_steps=int(0.01 * steps),
            lr_decay_style="staircase",
            lr_decay_rate=0.1,
            lr_decay_steps=100_000,
            max_grad_norm=5.0,
            gradient_scale_mode="latent_hook",
            unroll_loss_scale="whole",
            value_loss_weight=0.25,
            num_actors=4,
            train_ratio=steps / 100_000,
            temperature_steps=(),
            temperatures=(1.0,),
        ),
    )


PRESETS = {"cartpole": _cartpole, "lunarlander": _lunarlander, "breakout": _breakout}


def preset(name: str) -> ExperimentConfig:
    """The paper's configuration for ``name`` (``cartpole``, ``lunarlander`` or ``breakout``)."""
    from mzlab.errors import MzlabError

    if name not in PRESETS:
        raise MzlabError(f"unknown preset {name!r}; valid presets: {', '.join(sorted(PRESETS))}")
    return PRESETS[name]()

