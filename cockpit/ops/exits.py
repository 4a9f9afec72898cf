"""How every `cockpit` command fails: one line on stderr and an exit code (2 wrong input, 3 outside scope)."""

from __future__ import annotations

import sys

EXIT_INPUT, EXIT_SCOPE = 2, 3


def fail(msg: str, code: int = EXIT_INPUT) -> int:
    """Print `cockpit: msg` on stderr and return the exit code for the command to return."""
    print(f"cockpit: {msg}", file=sys.stderr)
    return code
