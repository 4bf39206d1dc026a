"""verbose: 0 prints nothing, 1 draws one progress bar for the whole fit (in a terminal
or a notebook, never in a log), 2 prints a line per epoch."""

import io
import os
import re
import subprocess
import sys
import threading
import time
import types
from contextlib import contextmanager, redirect_stderr
from functools import partial

import numpy as np
import pytest
from helpers import fit_quietly, subprocess_env

import skgrn._progress as progress_module
from skgrn._progress import EpochProgress, in_jupyter_kernel

# Stops at epoch n_iter_no_change + 2: no epoch improves on the best by tol.
STOPS_EARLY = dict(early_stopping=True, validation_fraction=0.2, tol=1e9, n_iter_no_change=1)


class Terminal(io.StringIO):
    """A stream that says it is a terminal, so that tqdm draws on it."""

    def isatty(self):
        return True


# Smaller than TINY (these tests look at the bar only, and 4 units without a slow
# layer trace faster), in batches of 10: several steps an epoch, yet one bar.
BAR = dict(block_units=4, slow_layers=0, batch_size=10)


@pytest.fixture(scope="module")
def make_clf(make_clf):
    return partial(make_clf, **BAR)


@pytest.fixture(scope="module")
def make_reg(make_reg):
    return partial(make_reg, **BAR)


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).randn(60, 3)


@pytest.fixture(scope="module")
def y(X):
    return (X[:, 0] + X[:, 1] > 0).astype(int)


@contextmanager
def on_terminal():
    """stderr a terminal for the block. (Not a fixture: pytest's capture would take
    sys.stderr back before the test runs.)"""
    stream = Terminal()
    with redirect_stderr(stream):
        yield stream


def only_bar(output):
    """The bar's last state, checking the output is one bar: redrawn with \\r, one newline."""
    assert output.count("\n") == 1 and output.endswith("\n"), repr(output)
    return output.rstrip("\n").split("\r")[-1]


def bar_states(output):
    """Every state the bar was drawn in, first to last (one bar, as only_bar checks)."""
    only_bar(output)
    return [state for state in output.rstrip("\n").split("\r") if state]


# -- through the estimators -------------------------------------------------------------
@pytest.fixture
def slow_epochs(monkeypatch):
    """Epochs longer than tqdm's 0.1 s between redraws, so that each one is drawn."""
    from skgrn._training import Trainer

    original = Trainer.train_epoch

    def train_epoch(self, *args):
        time.sleep(0.12)
        return original(self, *args)

    monkeypatch.setattr(Trainer, "train_epoch", train_epoch)


def test_verbose_0_writes_nothing(make_clf, X, y, capfd):
    with on_terminal() as terminal:
        fit_quietly(make_clf(max_iter=5), X, y)
    assert terminal.getvalue() == ""
    assert capfd.readouterr() == ("", "")


def test_verbose_1_draws_one_bar_for_the_whole_fit(make_clf, X, y, capsys, slow_epochs):
    with on_terminal() as terminal:
        clf = fit_quietly(make_clf(max_iter=5, verbose=1), X, y)
    # 48 training rows in batches of 10: five steps an epoch, yet one bar, advanced per epoch.
    states = bar_states(terminal.getvalue())
    assert states[-1].startswith("GRNClassifier 5/5 |")
    # Each epoch's figures while it trains, then how the fit ended.
    shown = {f"loss {loss:.4g} best " for loss in clf.history_["loss"]}
    assert any(figures in state for state in states[1:-1] for figures in shown)
    assert not any("val " in state for state in states)
    assert states[-1].endswith(f"max_iter reached; epoch {clf.best_epoch_}'s weights kept")
    # Nothing on stdout: no per-epoch or per-batch log.
    assert capsys.readouterr().out == ""


def test_verbose_1_shows_validation_loss_and_early_stopping_state(make_reg, X, slow_epochs):
    regressor = make_reg(**STOPS_EARLY, max_iter=50, verbose=True)
    with on_terminal() as terminal:
        clf = fit_quietly(regressor, X, X[:, 0])
    assert clf.n_iter_ == 3
    states = bar_states(terminal.getvalue())
    # Closed where training stopped, not at max_iter.
    assert "3/50" in states[-1]
    history = zip(clf.history_["loss"], clf.history_["val_loss"], strict=True)
    # Epoch 0 is the best (no later one improves by tol); the bar names it as history_ does.
    assert clf.best_epoch_ == 0
    shown = {f"loss {loss:.4g} val {val_loss:.4g} best 0 wait " for loss, val_loss in history}
    assert any(figures in state for state in states[1:-1] for figures in shown)
    assert "best 0 wait 2/1" in states[-2]
    assert states[-1].endswith("early stop after 3 epochs; epoch 0's weights kept")


def test_the_bar_says_when_the_first_epoch_compiles(make_clf, X, y):
    with on_terminal() as terminal:
        fit_quietly(make_clf(max_iter=2, verbose=1, n_blocks=3), X, y)  # a new shape
    assert "compiling the network" in bar_states(terminal.getvalue())[0]
    with on_terminal() as terminal:
        fit_quietly(make_clf(max_iter=2, verbose=1, n_blocks=3), X, y)  # traced already
    assert "compiling" not in terminal.getvalue()


def test_warm_start_counts_on_from_the_epochs_run(make_clf, X, y):
    clf = fit_quietly(make_clf(max_iter=3, warm_start=True), X, y)
    clf.set_params(verbose=1, max_iter=2)
    with on_terminal() as terminal:
        fit_quietly(clf, X, y)
    assert clf.n_iter_ == 5
    assert bar_states(terminal.getvalue())[-1].startswith("GRNClassifier 5/5 |")


def test_an_interrupted_fit_says_so_on_its_bar(make_clf, X, y, monkeypatch):
    from skgrn._training import Trainer

    epochs = []
    original = Trainer.train_epoch

    def interrupted_third(self, *args):
        epochs.append(1)
        if len(epochs) == 3:
            raise KeyboardInterrupt
        return original(self, *args)

    monkeypatch.setattr(Trainer, "train_epoch", interrupted_third)
    with on_terminal() as terminal, pytest.warns(UserWarning, match="interrupted"):
        clf = make_clf(max_iter=10, verbose=1).fit(X, y)
    assert clf.n_iter_ == 2
    ending = f"interrupted after 2 epochs; epoch {clf.best_epoch_}'s weights kept"
    assert bar_states(terminal.getvalue())[-1].endswith(ending)


def test_partial_fit_bar_counts_one_epoch(make_clf, X, y):
    clf = make_clf(verbose=1)
    with on_terminal() as terminal:
        clf.partial_fit(X, y, classes=[0, 1])
    last = only_bar(terminal.getvalue())
    assert "1/1" in last and "loss " in last
    assert "wait" not in last  # partial_fit never stops early


def test_verbose_1_prints_nothing_when_output_is_not_a_terminal(make_clf, X, y, capfd):
    # pytest's capture: neither stdout nor stderr is a terminal, as in a CI log.
    assert not sys.stderr.isatty()
    fit_quietly(make_clf(**STOPS_EARLY, max_iter=5, verbose=1), X, y)
    assert capfd.readouterr() == ("", "")


def test_verbose_2_prints_one_line_per_epoch_and_no_bar(make_clf, X, y, capsys):
    with on_terminal() as terminal:
        clf = fit_quietly(make_clf(max_iter=4, verbose=2), X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"Epoch {i}" for i in range(4)]
    assert clf.n_iter_ == 4 and terminal.getvalue() == ""


def test_bar_shows_in_a_jupyter_kernel_although_its_stderr_is_not_a_terminal(
    make_clf, X, y, monkeypatch
):
    monkeypatch.setattr(progress_module, "in_jupyter_kernel", lambda: True)
    stream = io.StringIO()  # a kernel's stderr: isatty() is False
    with redirect_stderr(stream):
        fit_quietly(make_clf(max_iter=3, verbose=1), X, y)
    from tqdm import notebook

    if notebook.IProgress is None:
        # Without ipywidgets: tqdm.auto's fallback, the text bar, on the kernel's stderr.
        assert "3/3" in only_bar(stream.getvalue())
    else:  # pragma: no cover - ipywidgets is not a test dependency
        assert issubclass(progress_module._bar_class(True), notebook.tqdm)


# -- EpochProgress itself ---------------------------------------------------------------
@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_bar_is_closed_however_the_block_ends(failure):
    stream = Terminal()
    with pytest.raises(failure):
        with EpochProgress(10, desc="fit", patience=3, file=stream) as progress:
            progress.update(0.5, 0.6, best_epoch=1, stalled=0)
            bar = progress._bar
            raise failure
    assert bar.disable  # what tqdm's close() leaves
    assert bar not in type(bar)._instances
    assert "1/10" in only_bar(stream.getvalue())


def test_bar_is_not_disabled_in_a_jupyter_kernel(monkeypatch):
    monkeypatch.setattr(progress_module, "in_jupyter_kernel", lambda: True)
    with EpochProgress(2, file=io.StringIO()) as progress:
        assert not progress._bar.disable
    monkeypatch.setattr(progress_module, "in_jupyter_kernel", lambda: False)
    stream = io.StringIO()
    with EpochProgress(2, file=stream) as progress:
        assert progress._bar.disable
        progress.update(0.5)
    assert stream.getvalue() == ""


def test_no_bar_and_no_tqdm_without_show():
    with EpochProgress(2, show=False) as progress:
        progress.update(0.5)
        assert progress._bar is None


def test_jupyter_kernel_detection(monkeypatch):
    assert not in_jupyter_kernel()  # pytest is no kernel
    zmqshell = types.ModuleType("ipykernel.zmqshell")
    zmqshell.ZMQInteractiveShell = type("ZMQInteractiveShell", (), {})
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: None  # IPython imported, no shell running
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", zmqshell)
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    assert not in_jupyter_kernel()
    ipython.get_ipython = zmqshell.ZMQInteractiveShell
    assert in_jupyter_kernel()


# -- importing ----------------------------------------------------------------------------
NO_TQDM_UNTIL_ASKED = """
import sys, warnings
import numpy as np
from sklearn.exceptions import ConvergenceWarning
import skgrn
assert "tqdm" not in sys.modules, "import skgrn imported tqdm"
# From here on every warning is an error, but the ConvergenceWarning of max_iter=2.
warnings.simplefilter("error")
warnings.simplefilter("ignore", ConvergenceWarning)
X = np.random.RandomState(0).randn(30, 2)
skgrn.GRNRegressor(max_iter=2, n_blocks=1, block_units=4, slow_layers=0).fit(X, X[:, 0])
assert "tqdm" not in sys.modules, "verbose=0 imported tqdm"
skgrn.GRNRegressor(max_iter=2, n_blocks=1, block_units=4, slow_layers=0, verbose=1).fit(
    X, X[:, 0]
)
assert "tqdm" in sys.modules
"""


def test_tqdm_is_imported_only_for_a_bar_and_warns_nothing():
    result = subprocess.run(
        [sys.executable, "-c", NO_TQDM_UNTIL_ASKED],
        env=subprocess_env(TF_CPP_MIN_LOG_LEVEL="3"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # stderr is a pipe: the bar drew nothing.
    assert "GRNRegressor" not in result.stderr


def test_fit_with_a_bar_leaves_no_thread_behind(make_clf, X, y):
    from tqdm._monitor import TMonitor

    with on_terminal():
        fit_quietly(make_clf(max_iter=2, verbose=1), X, y)
    # tqdm's monitor thread would run until the interpreter exits.
    bar_class = progress_module._bar_class(False)
    monitors = [
        thread
        for thread in threading.enumerate()
        if isinstance(thread, TMonitor) and issubclass(thread.tqdm_cls, bar_class)
    ]
    assert monitors == []


PTY_FIT = """
import warnings
import numpy as np
from skgrn import GRNRegressor
warnings.simplefilter("ignore")
rng = np.random.RandomState(0)
X = rng.randn(400, 5) * 1000  # large losses: the widest figures
GRNRegressor(
    early_stopping=True, tol=1e9, n_iter_no_change=3, max_iter=200, verbose=1, random_state=0
).fit(X, X[:, 0] * 1e6)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX's")
def test_the_bar_fits_an_80_column_terminal():
    """In a pseudo-terminal of 80 columns, every state of the bar fits on its line and
    shows the epoch count and the losses, and the last one how the fit ended."""
    import fcntl
    import pty
    import struct
    import termios

    env = subprocess_env()
    del env["TF_CPP_MIN_LOG_LEVEL"]  # skgrn keeps TensorFlow's start-up lines off the terminal
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    child = subprocess.Popen(
        [sys.executable, "-c", PTY_FIT],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    written = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        written += chunk
    os.close(leader)
    assert child.wait(timeout=300) == 0, written.decode(errors="replace")
    states = [state.rstrip() for state in re.split(r"[\r\n]+", written.decode()) if state.strip()]
    assert states and all(len(state) <= 80 for state in states), states
    figures = re.compile(r"^GRNRegressor \d+/200 \|.*\| [\d:]+, loss \S+ val \S+ best \d+ wait")
    assert any(figures.search(state) for state in states), states
    ending = (
        r"^GRNRegressor 5/200 \|.*\| [\d:]+, "
        r"early stop after 5 epochs; epoch [0-4]'s weights kept$"
    )
    assert re.search(ending, states[-1]), states[-1]
