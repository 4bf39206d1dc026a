"""TensorFlow's start-up log lines stay out of a terminal or a notebook (skgrn/_quiet.py),
unless the user chose a log level."""

import os
import subprocess
import sys

import pytest
from helpers import run_in_a_kernel, subprocess_env

from skgrn._quiet import LOG_LEVEL, QUIET_LEVEL, quiet_native_start

STARTUP = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1796621972.253622   10214 port.cc:153] oneDNN custom operations are on.\n"
    "I0000 00:00:1796621972.289738   10214 cpu_feature_guard.cc:227] This TensorFlow binary\n"
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow "
    "with the appropriate compiler flags.\n"
    "W0000 00:00:1796621909.614335   10034 util.cc:163] Not handling type DT_DOUBLE\n"
)
OTHER = "a warning of the import itself\nE0000 00:00:1.5   7 loader.cc:12] an error\n"


@pytest.fixture
def before_tensorflow(monkeypatch):
    """As in a fresh process: no log level chosen, TensorFlow not imported yet."""
    monkeypatch.delenv(LOG_LEVEL, raising=False)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)


def test_startup_lines_are_dropped_and_other_lines_kept(before_tensorflow, capfd):
    with quiet_native_start():
        assert os.environ[LOG_LEVEL] == QUIET_LEVEL  # what TensorFlow reads as it starts
        os.write(2, (STARTUP + OTHER).encode())
    assert capfd.readouterr().err == OTHER
    assert LOG_LEVEL not in os.environ


def test_the_lines_are_written_out_when_the_import_fails(before_tensorflow, capfd):
    with pytest.raises(ImportError), quiet_native_start():
        os.write(2, (STARTUP + OTHER).encode())
        raise ImportError("no TensorFlow")
    assert capfd.readouterr().err == OTHER
    assert LOG_LEVEL not in os.environ


def test_a_log_level_the_user_set_is_left_alone(before_tensorflow, monkeypatch, capfd):
    monkeypatch.setenv(LOG_LEVEL, "0")
    with quiet_native_start():
        assert os.environ[LOG_LEVEL] == "0"
        os.write(2, STARTUP.encode())
    assert capfd.readouterr().err == STARTUP


def test_nothing_changes_once_tensorflow_is_imported(monkeypatch, capfd):
    pytest.importorskip("tensorflow", reason="needs TensorFlow imported before skgrn")
    monkeypatch.delenv(LOG_LEVEL, raising=False)
    with quiet_native_start():
        assert LOG_LEVEL not in os.environ
        os.write(2, STARTUP.encode())
    assert capfd.readouterr().err == STARTUP


FITS = """
import os, warnings
import numpy as np, pandas as pd
import skgrn
assert "TF_CPP_MIN_LOG_LEVEL" not in os.environ  # restored after the import
warnings.simplefilter("ignore")
X = pd.DataFrame(np.random.RandomState(0).randn(60, 3), columns=list("abc"))
X["c"] = pd.Categorical(np.where(X.c > 0, "up", "down"))
y = X.a + (X.c == "up")
skgrn.GRNRegressor(max_iter=2, variable_selection=True).fit(X, y)  # float64
X32 = X.astype({"a": "float32", "b": "float32"})
skgrn.GRNClassifier(max_iter=2, numeric_embedding="periodic").fit(X32, y > 0)
print("done")
"""


@pytest.mark.tensorflow_only(reason="the lines are TensorFlow's")
def test_import_and_fits_print_no_tensorflow_log_lines():
    env = subprocess_env()
    del env[LOG_LEVEL]
    done = subprocess.run(
        [sys.executable, "-c", FITS], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "done"
    assert done.stderr == ""


@pytest.mark.tensorflow_only(reason="the lines are TensorFlow's")
def test_a_notebook_shows_no_tensorflow_log_lines():
    env = subprocess_env()
    del env[LOG_LEVEL]
    notebook = run_in_a_kernel([("code", FITS)], env)
    outputs = [(out.get("name"), out.get("text")) for out in notebook.cells[0].outputs]
    assert outputs == [("stdout", "done\n")]
