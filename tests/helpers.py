"""Constants and functions shared by the test modules; the fixtures and markers built on
them are in conftest.py."""

import os
import warnings
from pathlib import Path

import keras
import pytest
from sklearn.exceptions import ConvergenceWarning

#: TensorFlow trains in compiled graphs and computes float64 tables in float64;
#: other backends go through skgrn._portable and compute in float32.
ON_TENSORFLOW = keras.backend.backend() == "tensorflow"

REPO_ROOT = Path(__file__).resolve().parents[1]

#: The network of the tests about the estimators' behaviour (labels, weights, the
#: training loop, scikit-learn's machinery): one block of 8 units, one slow layer of 8,
#: and the plain reading of numbers only, without a numeric embedding. A fit takes a
#: moment, and the fits of one table and target share one traced trainer. The default
#: network, with its numeric embedding and its two branches, is covered by
#: test_sklearn_compliance.py, test_embeddings.py and test_ensemble.py.
TINY = dict(n_blocks=1, block_units=8, slow_layers=1, slow_units=8, numeric_embedding=None)

#: Iterations enough for TINY to learn the tests' toy problems: the default of the
#: make_clf and make_reg fixtures.
LEARNING_ITERATIONS = 30

#: The default network, seeded, trained for a few iterations: a fitted estimator to
#: predict, save and compare, for tests of what a fit stores or refuses, not of what
#: it learns.
QUICK_FIT = dict(max_iter=3, random_state=0)


#: An absolute tolerance for values near zero: 0 on TensorFlow, float32's scale elsewhere.
ATOL = 0 if ON_TENSORFLOW else 1e-6


def rtol(on_tensorflow):
    """A relative tolerance for results that are float64 on TensorFlow and float32 elsewhere."""
    return on_tensorflow if ON_TENSORFLOW else max(on_tensorflow, 1e-5)


def trainer_module():
    """The module whose ``Trainer`` fits on this backend (see skgrn._engine)."""
    if ON_TENSORFLOW:
        import skgrn._training as module
    else:
        import skgrn._portable as module
    return module


def subprocess_env(**variables):
    """The environment of a fresh interpreter that must import this checkout's skgrn:
    this one's, with the checkout first on PYTHONPATH, TensorFlow's start-up quiet,
    and ``variables`` set."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(variables)
    return env


def fit_quietly(estimator, *args, **kwargs):
    """Fit ignoring the ConvergenceWarning that small max_iter values cause."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)


def run_in_a_kernel(cells, env, cwd=None):
    """Run ``cells``, ``[("code" or "markdown", source)]``, as a notebook in a fresh
    Jupyter kernel whose environment is ``env`` and working directory ``cwd``;
    return the executed notebook (nbformat). A cell that raises fails the call."""
    nbclient = pytest.importorskip("nbclient", reason="the test extra brings nbclient")
    import nbformat

    make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell}
    notebook = nbformat.v4.new_notebook(cells=[make[kind](source) for kind, source in cells])
    client = nbclient.NotebookClient(
        notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": cwd}}
    )
    with pytest.MonkeyPatch.context() as patch:  # the kernel inherits this environment
        for name in list(os.environ):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        client.execute()
    return notebook


def percent_cells(path):
    """The cells of a script in the percent format (``# %%``, ``# %% [markdown]``),
    as :func:`run_in_a_kernel` takes them; markdown loses its ``# `` prefixes."""
    cells = []
    for block in Path(path).read_text().split("# %%")[1:]:
        header, _, body = block.partition("\n")
        if header.strip() == "[markdown]":
            lines = [line.removeprefix("#").removeprefix(" ") for line in body.splitlines()]
            cells.append(("markdown", "\n".join(lines).strip()))
        else:
            cells.append(("code", body.strip()))
    return cells
