"""Errors a user can act on. The CLI prints them as one line and exits non-zero."""


class EdgekdError(Exception):
    """A user-facing error: bad input, a missing file, an unsupported op. The message names the thing."""
