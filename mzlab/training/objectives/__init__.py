"""Training objectives: one file per objective, found by :mod:`mzlab.training.objectives.registry`.

``training.objective`` selects one; ``base.py`` holds the interface. ``docs/objectives.md`` describes the
objectives, ``docs/extending.md`` shows how to add one. (Nothing is imported here, so listing the names for
config validation stays cheap.)
"""
