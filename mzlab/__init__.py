"""mzlab: train MuZero faithfully and measure what model it learned.

The Python API (``docs/api.md``) is imported on first use, so ``import mzlab`` stays light::

    import mzlab
    summary = mzlab.train("cartpole", "runs/cp-0", seed=0, max_steps=2000)
    scores = mzlab.evaluate("runs/cp-0", episodes=16)
    table = mzlab.analyze("value-error", ["runs/cp-0"], "results/cp", quick=True)   # a pandas DataFrame
"""

from mzlab.version import __version__

__all__ = ["__version__", "make_config", "train", "resume", "evaluate", "analyze", "report", "MzlabError"]

_API = {"make_config", "train", "resume", "evaluate", "analyze", "report"}


def __getattr__(name: str):
    if name in _API:
        from mzlab import api

        return getattr(api, name)
    if name == "MzlabError":
        from mzlab.errors import MzlabError

        return MzlabError
    raise AttributeError(f"module 'mzlab' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
