"""mzlab: train MuZero faithfully and measure what model it learned."""

__version__ = "0.1.0"
