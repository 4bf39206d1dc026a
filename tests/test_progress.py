"""verbose: 0 prints nothing, 1 draws one progress bar for the whole fit (in a terminal
or a notebook, never in a log), 2 prints a line per epoch."""

import io
import subprocess
import sys
import threading
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


# -- through the estimators -------------------------------------------------------------
def test_verbose_0_writes_nothing(make_clf, X, y, capfd):
    with on_terminal() as terminal:
        fit_quietly(make_clf(max_iter=5), X, y)
    assert terminal.getvalue() == ""
    assert capfd.readouterr() == ("", "")


def test_verbose_1_draws_one_bar_for_the_whole_fit(make_clf, X, y, capsys):
    with on_terminal() as terminal:
        clf = fit_quietly(make_clf(max_iter=5, verbose=1), X, y)
    # 48 training rows in batches of 10: five steps an epoch, yet one bar, advanced per epoch.
    last = only_bar(terminal.getvalue())
    assert last.startswith("GRNClassifier: 100%") and "5/5" in last
    assert f"loss={clf.history_['loss'][-1]:.4g}" in last
    assert "val_loss" not in last and "patience=0/10" in last
    # Nothing on stdout: no per-epoch or per-batch log.
    assert capsys.readouterr().out == ""


def test_verbose_1_shows_validation_loss_and_early_stopping_state(make_reg, X):
    regressor = make_reg(**STOPS_EARLY, max_iter=50, verbose=True)
    with on_terminal() as terminal:
        clf = fit_quietly(regressor, X, X[:, 0])
    assert clf.n_iter_ == 3
    last = only_bar(terminal.getvalue())
    # Closed where training stopped, not at max_iter.
    assert "3/50" in last and "100%" not in last
    assert f"val_loss={clf.history_['val_loss'][-1]:.4g}" in last
    assert f"best={clf.best_epoch_}" in last and "patience=2/1" in last


def test_partial_fit_bar_counts_one_epoch(make_clf, X, y):
    clf = make_clf(verbose=1)
    with on_terminal() as terminal:
        clf.partial_fit(X, y, classes=[0, 1])
    last = only_bar(terminal.getvalue())
    assert "1/1" in last and "loss=" in last
    assert "patience" not in last  # partial_fit never stops early


def test_verbose_1_prints_nothing_when_output_is_not_a_terminal(make_clf, X, y, capfd):
    # pytest's capture: neither stdout nor stderr is a terminal, as in a CI log.
    assert not sys.stderr.isatty()
    fit_quietly(make_clf(**STOPS_EARLY, max_iter=5, verbose=1), X, y)
    assert capfd.readouterr() == ("", "")


def test_verbose_2_prints_one_line_per_epoch_and_no_bar(make_clf, X, y, capsys):
    with on_terminal() as terminal:
        clf = fit_quietly(make_clf(max_iter=4, verbose=2), X, y)
    lines = capsys.readouterr().out.splitlines()
    assert [line.split(",")[0] for line in lines] == [f"Iteration {i}" for i in range(1, 5)]
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
