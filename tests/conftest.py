"""Fixtures and markers shared by the test modules.

Markers (unregistered ones are errors: --strict-markers in pyproject.toml):

- ``slow``: takes more than a few seconds; CI's JAX run deselects these.
- ``tensorflow_only`` or ``tensorflow_only(reason=...)``: skipped, with the reason,
  on Keras backends other than TensorFlow. On a test, a class, or a whole module
  (``pytestmark = pytest.mark.tensorflow_only(...)``).

Fixtures:

- ``make_clf`` and ``make_reg``: ``make_clf(**params)`` is a seeded GRNClassifier on
  the TINY network of helpers.py, trained for LEARNING_ITERATIONS unless ``params``
  say otherwise. A module that needs other defaults for all its estimators overrides
  the fixture with one that requests it (see test_tabular.py).
"""

import os

# Keep TensorFlow's C++ start-up chatter out of the test log: set before the imports
# below, which start TensorFlow.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest  # noqa: E402
from helpers import LEARNING_ITERATIONS, ON_TENSORFLOW, TINY  # noqa: E402

from skgrn import GRNClassifier, GRNRegressor  # noqa: E402

TENSORFLOW_ONLY = "tests TensorFlow-specific code (skgrn._training, skgrn._forward)"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: tests that take more than a few seconds")
    config.addinivalue_line(
        "markers",
        "tensorflow_only(reason=...): skipped, with the reason, on other Keras backends",
    )


def pytest_collection_modifyitems(config, items):
    """Skip, rather than deselect, the TensorFlow-only tests on other backends, so
    that the run's summary counts them."""
    if ON_TENSORFLOW:
        return
    for item in items:
        marker = item.get_closest_marker("tensorflow_only")
        if marker is not None:
            reason = marker.kwargs.get("reason", marker.args[0] if marker.args else TENSORFLOW_ONLY)
            item.add_marker(pytest.mark.skip(reason=reason))


def _factory(estimator_class):
    def make(**params):
        defaults = dict(TINY, max_iter=LEARNING_ITERATIONS, random_state=0)
        return estimator_class(**{**defaults, **params})

    return make


@pytest.fixture(scope="session")
def make_clf():
    """``make_clf(**params)``: a seeded GRNClassifier on the TINY network."""
    return _factory(GRNClassifier)


@pytest.fixture(scope="session")
def make_reg():
    """``make_reg(**params)``: a seeded GRNRegressor on the TINY network."""
    return _factory(GRNRegressor)
