"""Behaviour of GRNRegressor: output shapes, target scaling, sample weights and
partial_fit."""

import warnings

import numpy as np
import pytest
from helpers import ATOL, ON_TENSORFLOW, fit_quietly, rtol
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from skgrn._network import to_numpy

N_SAMPLES = 60

# Weights equal repeated rows exactly only without dropout (each copy of a row
# would get its own mask) and with full-batch steps (the same rows in each step).
EXACT = dict(dropout_rate=0.0, batch_size=256)
exact_weights = pytest.mark.filterwarnings("ignore:batch_size=256 is larger")


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).randn(N_SAMPLES, 4)


@pytest.fixture(scope="module")
def y(X):
    """An easy, nearly linear target."""
    return X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.1 * np.sin(3 * X[:, 3])


# -- output shapes --------------------------------------------------------------------
def test_1d_target_gives_1d_predictions(make_reg, X, y):
    reg = fit_quietly(make_reg(), X, y)
    pred = reg.predict(X)
    assert pred.shape == (N_SAMPLES,)
    assert pred.dtype == np.float64
    assert reg.target_mean_.shape == (1,)


def test_column_target_gives_column_predictions(make_reg, X, y):
    reg = fit_quietly(make_reg(), X, y.reshape(-1, 1))
    pred = reg.predict(X)
    assert pred.shape == (N_SAMPLES, 1)
    # The same network as for the 1-d target: only the shape of the output differs.
    np.testing.assert_array_equal(pred.ravel(), fit_quietly(make_reg(), X, y).predict(X))


def test_multi_output_target(make_reg, X, y):
    Y = np.column_stack([y, -y, 2 * X[:, 0] + 5])
    reg = fit_quietly(make_reg(max_iter=100, learning_rate_init=0.01), X, Y)
    pred = reg.predict(X)
    assert pred.shape == (N_SAMPLES, 3)
    assert reg.target_mean_.shape == (3,) and reg.target_scale_.shape == (3,)
    for column in range(3):
        assert r2_score(Y[:, column], pred[:, column]) > 0.8


def test_a_rows_prediction_does_not_depend_on_the_rows_beside_it(make_reg, X, y):
    """Outside TensorFlow bit for bit (chunks of one shape, see
    skgrn._portable.PREDICT_ROWS); TensorFlow's float64 kernels round a row by
    its batch's size, within 1e-12."""
    reg = make_reg(max_iter=3).fit(X, y)
    full = reg.predict(X)
    by_row = np.concatenate([reg.predict(X[i : i + 1]) for i in range(7)])
    np.testing.assert_allclose(by_row, full[:7], rtol=1e-12 if ON_TENSORFLOW else 0, atol=0)
    np.testing.assert_array_equal(reg.predict(X[::-1]), full[::-1])


def test_refit_with_other_output_count_is_a_fresh_fit(make_reg, X, y):
    reg = fit_quietly(make_reg(max_iter=5), X, np.column_stack([y, y, y]))
    fit_quietly(reg, X, y)
    assert reg.predict(X).shape == (N_SAMPLES,)


def test_warm_start_with_other_output_count_raises(make_reg, X, y):
    reg = fit_quietly(make_reg(max_iter=5, warm_start=True), X, y)
    with pytest.raises(ValueError, match="shape"):
        reg.fit(X, np.column_stack([y, y]))


# -- target scaling -------------------------------------------------------------------
def test_targets_in_large_units_are_learned(make_reg, X, y):
    y_big = y * 1e4 + 1e6
    reg = fit_quietly(make_reg(max_iter=100, learning_rate_init=0.01), X, y_big)
    assert r2_score(y_big, reg.predict(X)) > 0.8
    np.testing.assert_allclose(reg.target_mean_, [y_big.mean()], rtol=1e-10)
    np.testing.assert_allclose(reg.target_scale_, [y_big.std()], rtol=1e-10)
    # Standardised targets: the network itself outputs values of order one.
    raw = to_numpy(reg.model_(X))
    assert np.abs(raw).max() < 10


def test_target_scaling_uses_sample_weight(make_reg, X, y):
    weights = np.arange(1, N_SAMPLES + 1, dtype=np.float64)
    reg = fit_quietly(make_reg(max_iter=2), X, y, sample_weight=weights)
    mean = np.average(y, weights=weights)
    np.testing.assert_allclose(reg.target_mean_, [mean], rtol=1e-10)
    np.testing.assert_allclose(
        reg.target_scale_, [np.sqrt(np.average((y - mean) ** 2, weights=weights))], rtol=1e-10
    )


def test_constant_target_gets_unit_scale(make_reg, X):
    reg = fit_quietly(make_reg(max_iter=3), X, np.full(N_SAMPLES, 4.0))
    np.testing.assert_array_equal(reg.target_scale_, [1.0])
    np.testing.assert_array_equal(reg.target_mean_, [4.0])
    assert np.all(np.isfinite(reg.predict(X)))


# -- sample weights -------------------------------------------------------------------
@exact_weights
def test_zero_weights_equal_removing_rows(make_reg, X, y):
    weights = np.ones(N_SAMPLES)
    weights[::2] = 0
    kept = weights > 0
    weighted = fit_quietly(make_reg(**EXACT), X, y, sample_weight=weights)
    dropped = fit_quietly(make_reg(**EXACT), X[kept], y[kept])
    np.testing.assert_allclose(weighted.predict(X), dropped.predict(X), rtol=rtol(1e-6), atol=ATOL)
    # ...and the weights did something: the unweighted fit is different.
    unweighted = fit_quietly(make_reg(**EXACT), X, y)
    assert not np.allclose(unweighted.predict(X), dropped.predict(X), rtol=1e-6)


@exact_weights
def test_integer_weights_equal_repeating_rows(make_reg, X, y):
    weights = np.random.RandomState(1).randint(1, 4, size=N_SAMPLES)
    assert weights.sum() <= EXACT["batch_size"]  # full-batch for both fits
    weighted = fit_quietly(make_reg(**EXACT), X, y, sample_weight=weights)
    repeated = fit_quietly(
        make_reg(**EXACT), np.repeat(X, weights, axis=0), np.repeat(y, weights, axis=0)
    )
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=rtol(1e-6), atol=ATOL)
    unweighted = fit_quietly(make_reg(**EXACT), X, y)
    assert not np.allclose(unweighted.predict(X), repeated.predict(X), rtol=1e-6)


def test_scaling_all_weights_changes_nothing_without_penalty(make_reg, X, y):
    # The L2 penalty is divided by sum(sample_weight), as in MLPRegressor, so only
    # with alpha=0 is the fit invariant to the scale of the weights.
    weights = np.random.RandomState(2).uniform(0.5, 2, size=N_SAMPLES)
    a = fit_quietly(make_reg(alpha=0), X, y, sample_weight=weights).predict(X)
    b = fit_quietly(make_reg(alpha=0), X, y, sample_weight=weights * 1000).predict(X)
    np.testing.assert_allclose(a, b, rtol=rtol(1e-6))


def test_all_zero_weights_raise(make_reg, X, y):
    with pytest.raises(ValueError, match="zero"):
        make_reg().fit(X, y, sample_weight=np.zeros(N_SAMPLES))


def test_negative_weights_raise(make_reg, X, y):
    weights = np.ones(N_SAMPLES)
    weights[3] = -1
    with pytest.raises(ValueError, match="[Nn]egative"):
        make_reg().fit(X, y, sample_weight=weights)


def test_wrong_length_weights_raise(make_reg, X, y):
    with pytest.raises(ValueError, match=rf"\({N_SAMPLES - 1},\), expected"):
        make_reg().fit(X, y, sample_weight=np.ones(N_SAMPLES - 1))


# -- partial_fit ----------------------------------------------------------------------
def test_partial_fit_runs_one_epoch_per_call(make_reg, X, y):
    reg = make_reg()
    losses = []
    for call in range(1, 6):
        reg.partial_fit(X, y)
        assert reg.n_iter_ == call
        assert reg.t_ == call * N_SAMPLES
        assert len(reg.history_["loss"]) == call
        losses.append(reg.history_["loss"][-1])
    assert reg.predict(X).shape == (N_SAMPLES,)
    # It keeps training the same network, so the loss goes down.
    assert losses[-1] < losses[0]


def test_partial_fit_learns_target_scaling_on_first_call_only(make_reg, X, y):
    reg = make_reg()
    reg.partial_fit(X[:30], y[:30])
    mean, scale = reg.target_mean_.copy(), reg.target_scale_.copy()
    reg.partial_fit(X[30:], y[30:] + 100)
    np.testing.assert_array_equal(reg.target_mean_, mean)
    np.testing.assert_array_equal(reg.target_scale_, scale)


def test_partial_fit_emits_no_convergence_warning(make_reg, X, y):
    reg = make_reg()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        reg.partial_fit(X, y)
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 2


def test_partial_fit_after_fit_continues(make_reg, X, y):
    reg = fit_quietly(make_reg(max_iter=10), X, y)
    reg.partial_fit(X, y)
    assert reg.n_iter_ == 11
    assert len(reg.history_["loss"]) == 11
