"""numba's ``njit`` when numba is installed, otherwise a no-op decorator (the kernels then run as plain Python)."""

from __future__ import annotations

__all__ = ["njit", "njit_fast", "HAVE_NUMBA"]

try:
    from numba import njit as _numba_njit

    HAVE_NUMBA = True

    def njit(function):
        """Compile ``function`` with numba (cached on disk, no Python objects inside)."""
        return _numba_njit(cache=True, nogil=True)(function)

    def njit_fast(function):
        """Like :func:`njit` with fastmath (reassociation, vectorised transcendental functions)."""
        return _numba_njit(cache=True, nogil=True, fastmath=True)(function)

except ImportError:  # pragma: no cover - exercised only without numba
    HAVE_NUMBA = False

    def njit(function):
        return function

    njit_fast = njit
