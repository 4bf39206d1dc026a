"""Constants and functions shared by the test modules; the markers built on them are in
conftest.py."""

import warnings

import keras
from sklearn.exceptions import ConvergenceWarning

#: TensorFlow trains in compiled graphs and computes float64 tables in float64;
#: other backends go through skgrn._portable and compute in float32.
ON_TENSORFLOW = keras.backend.backend() == "tensorflow"


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
