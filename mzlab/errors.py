"""The one exception type that reaches users as a one-line message."""

__all__ = ["MzlabError"]


class MzlabError(Exception):
    """A user-facing error: bad input, a missing or corrupted file, an unknown name.

    The CLI prints ``mzlab: error: <message>`` and exits with status 2. The message is one line and names
    the field, file or value at fault and what is allowed instead.
    """
