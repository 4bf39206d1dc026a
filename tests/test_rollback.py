"""A call to fit, warm_start's fit or partial_fit that raises, at any point and for
any reason, leaves the estimator exactly as it was: the same attributes, the same
predictions to the last bit, the same optimizer state and the same random stream,
so that the next successful call gives what it would have given without the
failed one."""

import pickle
import warnings

import numpy as np
import pytest
from helpers import QUICK_FIT, fit_quietly
from sklearn.exceptions import ConvergenceWarning

import skgrn._base
from skgrn import GRNClassifier, GRNRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(80, 4)
Y = X[:, 0] - X[:, 1] ** 2 + 0.1 * RNG.randn(80)
# Small networks: what is checked is the bookkeeping around training.
PARAMS = dict(QUICK_FIT, numeric_embedding=None, ensemble_size=2)


class FailingTrainer:
    """A trainer that raises ``error`` when ``method`` is called, after running it."""

    def __init__(self, trainer, method, error):
        self._trainer, self._method, self._error = trainer, method, error

    def __getattr__(self, name):
        attribute = getattr(self._trainer, name)
        if name != self._method:
            return attribute

        def failing(*args, **kwargs):
            attribute(*args, **kwargs)
            raise self._error

        return failing


def failing_trainers(monkeypatch, method, error):
    real = skgrn._base.get_trainer
    monkeypatch.setattr(
        skgrn._base,
        "get_trainer",
        lambda *args, **kwargs: FailingTrainer(real(*args, **kwargs), method, error),
    )


def call(estimator, mode, y=Y):
    """The call under test: a refit, a warm_start fit or a partial_fit."""
    if mode == "partial_fit":
        return estimator.partial_fit(X, y)
    return fit_quietly(estimator, X, y)


def fitted(mode, **params):
    estimator = GRNRegressor(**{**PARAMS, **params}, warm_start=mode == "warm_start")
    call(estimator, mode)
    return estimator


def state(estimator):
    """Everything a later call depends on: the pickled estimator (attributes, weights,
    random stream) and the optimizer state, which pickling leaves out."""
    optimizer = [np.array(value) for value in estimator._optimizer_state or []]
    return pickle.dumps(estimator), optimizer


def assert_unchanged(estimator, before, predictions):
    pickled, optimizer = state(estimator)
    assert pickled == before[0]
    assert len(optimizer) == len(before[1]) > 0  # there is an optimizer state to compare
    for now, then in zip(optimizer, before[1], strict=True):
        np.testing.assert_array_equal(now, then)
    np.testing.assert_array_equal(estimator.predict(X), predictions)


FAILURES = {
    "bad input": None,
    "an error inside training": ("train_epoch", RuntimeError("the backend failed")),
    "KeyboardInterrupt after the epochs": ("optimizer_state", KeyboardInterrupt()),
}
MODES = ["fit", "warm_start", "partial_fit"]


@pytest.mark.parametrize("failure", FAILURES)
@pytest.mark.parametrize("mode", MODES)
def test_a_failed_call_changes_nothing_and_the_next_one_continues_as_if_it_had_not_run(
    mode, failure, monkeypatch
):
    estimator, twin = fitted(mode), fitted(mode)
    before, predictions = state(estimator), estimator.predict(X)
    with monkeypatch.context() as patched:
        if FAILURES[failure] is None:
            error, y = ValueError, np.where(np.arange(80) == 5, np.nan, Y)
        else:
            method, exception = FAILURES[failure]
            error, y = type(exception), Y
            failing_trainers(patched, method, exception)
        with pytest.raises(error):
            call(estimator, mode, y)
    assert_unchanged(estimator, before, predictions)
    # The random stream and optimizer state are intact: the next call trains as
    # the same call on an estimator that never failed.
    np.testing.assert_array_equal(call(estimator, mode).predict(X), call(twin, mode).predict(X))


@pytest.mark.parametrize("mode", ["fit", "warm_start"])
def test_a_convergence_warning_raised_as_an_error_changes_nothing(mode):
    estimator, twin = fitted(mode), fitted(mode)
    before, predictions = state(estimator), estimator.predict(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ConvergenceWarning):
            estimator.fit(X, Y)
    assert_unchanged(estimator, before, predictions)
    np.testing.assert_array_equal(call(estimator, mode).predict(X), call(twin, mode).predict(X))


def test_a_random_state_instance_is_not_advanced_by_a_failed_fit(monkeypatch):
    """A RandomState given as random_state is the fit's stream: a failed fit
    leaves it where it was, so the next fit draws what it would have drawn."""
    stream, twin_stream = np.random.RandomState(3), np.random.RandomState(3)
    estimator = GRNClassifier(**{**PARAMS, "random_state": stream})
    twin = GRNClassifier(**{**PARAMS, "random_state": twin_stream})
    labels = (Y > 0).astype(int)
    with monkeypatch.context() as patched:
        failing_trainers(patched, "train_epoch", RuntimeError("the backend failed"))
        with pytest.raises(RuntimeError):
            estimator.fit(X, labels)
    assert not hasattr(estimator, "model_")
    assert pickle.dumps(stream) == pickle.dumps(twin_stream)
    np.testing.assert_array_equal(
        fit_quietly(estimator, X, labels).predict_proba(X),
        fit_quietly(twin, X, labels).predict_proba(X),
    )
