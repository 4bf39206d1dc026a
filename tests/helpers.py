"""Helpers shared by the estimator test modules."""

import warnings

from sklearn.exceptions import ConvergenceWarning


def fit_quietly(estimator, *args, **kwargs):
    """Fit ignoring the ConvergenceWarning that small max_iter values cause."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator.fit(*args, **kwargs)
