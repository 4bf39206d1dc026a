"""TensorFlow's native start-up, without its log lines.

Importing TensorFlow writes several lines to the process' standard error
before its logging starts (absl's banner, the oneDNN notice, the CPU
instructions the wheel was not built for), and its graph optimiser later
writes a warning per float64 node it does not rewrite (``Not handling type
DT_DOUBLE``, about thirty a fit with variable selection). In a notebook they
show as red boxes, though nothing is wrong.

:func:`quiet_native_start` imports Keras (and through it TensorFlow) with
``TF_CPP_MIN_LOG_LEVEL=2``, which TensorFlow reads once, as it starts, so
that its native INFO and WARNING lines stay off for the whole process
(errors still show), and catches what the libraries write to the standard
error while they load: the lines of TensorFlow's start-up are dropped, any
other line is written out again. The environment is restored afterwards.
A user who set ``TF_CPP_MIN_LOG_LEVEL``, or imported TensorFlow before
skgrn, keeps what they chose: nothing is changed then.
"""

import contextlib
import os
import re
import sys
import tempfile

LOG_LEVEL = "TF_CPP_MIN_LOG_LEVEL"
#: Below ERROR: INFO (0) and WARNING (1) lines are not written.
QUIET_LEVEL = "2"

_STARTUP_LINES = re.compile(
    r"WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    # absl's INFO and WARNING lines: "I0000 00:00:1796621881.093170   10009 port.cc:153] ..."
    r"|[IW]\d{4} [\d:.]+ +\d+ [\w.]+:\d+\] "
    # the second line of the CPU-instructions notice
    r"|To enable the following instructions: .* rebuild TensorFlow"
)


def is_startup_line(line):
    """Whether ``line``, written to the standard error while TensorFlow loads, is
    one of its start-up log lines."""
    return _STARTUP_LINES.match(line) is not None


@contextlib.contextmanager
def quiet_native_start():
    """Run the block (the first import of TensorFlow) without its start-up lines."""
    if LOG_LEVEL in os.environ or "tensorflow" in sys.modules:
        yield
        return
    caught = []
    os.environ[LOG_LEVEL] = QUIET_LEVEL
    try:
        with _standard_error_into(caught):
            yield
    finally:
        del os.environ[LOG_LEVEL]
        kept = [line for text in caught for line in text.splitlines(keepends=True)]
        kept = [line for line in kept if not is_startup_line(line)]
        if kept:
            sys.stderr.write("".join(kept))
            sys.stderr.flush()


@contextlib.contextmanager
def _standard_error_into(caught):
    """Point file descriptor 2 at a temporary file for the block, and append
    what was written there to the list ``caught`` when it ends."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (AttributeError, OSError, ValueError):  # no descriptor 2 to point elsewhere
        yield
        return
    with tempfile.TemporaryFile() as file:
        os.dup2(file.fileno(), 2)
        try:
            yield
        finally:
            with contextlib.suppress(AttributeError, OSError, ValueError):
                sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            file.seek(0)
            caught.append(file.read().decode(errors="replace"))
