"""The one error base of scripts/: what went wrong, what to do next, the exit code.

Every user-facing failure of a command raises a :class:`ScriptError` (or a
subclass naming where it comes from); each entry point catches it once, in
:func:`run_main`, which prints ``<prog>: error: <message>`` and the line
``Next: <step>`` and exits with the error's code:

* 1: the work failed (Terraform, the emulator, a scan, a plan that cannot be read);
* 2: the command was called wrong (an argument, a file it was given): :class:`UsageError`,
  the code argparse itself uses for a bad command line;
* 130: interrupted (Ctrl-C).

Errors that are not user-facing stay what they are: AWS API errors of the
emulator (scripts/moto_ext/) and the network guard's ``OffLoopbackError``, an
``OSError`` on purpose (scripts/journey/clients/netguard.py).
"""

from __future__ import annotations

import sys
from typing import Callable

NEXT = "\nNext: "


class ScriptError(Exception):
    """A user-facing failure. ``message`` says what went wrong, ``next_step`` what to do
    about it (None: nothing to add), ``exit_code`` how the command ends (default 1).

    A message written as ``"what\\nNext: step"`` is split there, so ``str(error)`` is
    always ``message`` followed by ``"\\nNext: " + next_step`` when there is one."""

    exit_code = 1

    def __init__(self, message: str, next_step: str | None = None, exit_code: int | None = None) -> None:
        if next_step is None and NEXT in message:
            message, next_step = message.rsplit(NEXT, 1)
        self.message, self.next_step = message, next_step
        super().__init__(str(self))  # args: the whole text, so a copy (pickle) is the same error
        if exit_code is not None:
            self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message + (NEXT + self.next_step if self.next_step else "")


class UsageError(ScriptError):
    """The command was called wrong (an argument, a file it was given): exit 2."""

    exit_code = 2


class CommandError(ScriptError):
    """A ``scripts/platform`` command failed (scripts/platform_cmd/ and the modules of its commands)."""


def run_main(prog: str, body: Callable[[], int], stream=None) -> int:
    """Runs an entry point's ``body`` and returns its exit code; a :class:`ScriptError`
    becomes ``<prog>: error: ...`` on stderr and its exit code, Ctrl-C exit 130."""
    stream = stream or sys.stderr
    try:
        return body()
    except ScriptError as exc:
        print(f"{prog}: error: {exc}", file=stream)
        return exc.exit_code
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=stream)
        return 130
