"""Helpers shared by the estimator test modules."""

import warnings

import keras
import pytest
from sklearn.exceptions import ConvergenceWarning

#: TensorFlow trains in compiled graphs and computes float64 tables in float64;
#: other backends go through skgrn._portable and compute in float32.
ON_TENSORFLOW = keras.backend.backend() == "tensorflow"


def only_on_tensorflow(reason):
    """Skip a test, with ``reason``, on backends other than TensorFlow."""
    return pytest.mark.skipif(not ON_TENSORFLOW, reason=reason)


tensorflow_only = only_on_tensorflow(
    "tests TensorFlow-specific code (skgrn._training, skgrn._forward)"
)


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


def fit_quietly(estimator, *args, **kwargs):
    """Fit ignoring the ConvergenceWarning that small max_iter values cause."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)
