"""The experiments of ``mzlab analyze``: one module per experiment, each defining ``EXPERIMENT``.

Found by :mod:`mzlab.analysis.registry` (every module here not starting with ``_``). These modules import
nothing heavy: the parser of ``mzlab`` reads them. The paper's six point at their implementation modules in
:mod:`mzlab.analysis`; a new experiment may hold its run function here too (``docs/extending.md``).
"""
