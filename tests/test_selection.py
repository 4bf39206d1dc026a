"""Variable selection (``variable_selection=True``) and ``feature_importances_``."""

import pickle

import keras
import numpy as np
import pandas as pd
import pytest
from helpers import fit_quietly, rtol
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_selection import SelectFromModel

from skgrn import GRNClassifier, GRNRegressor
from skgrn._network import selection_weights
from skgrn._selection import VariableSelection

INFORMATIVE = {"a", "b", "c", "m"}


def _table(n_rows=600, seed=0):
    """Four informative columns (linear, periodic, categorical, linear with missing
    values) among four noise columns; the target's noise is small."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        rng.normal(size=(n_rows, 7)),
        columns=["a", "noise1", "b", "noise2", "m", "noise3", "noise4"],
    )
    X["c"] = pd.Categorical(rng.choice(list("pqrs"), n_rows))
    effect = X["c"].map({"p": -2.0, "q": 0.0, "r": 1.0, "s": 2.0}).astype(float)
    y = 1.5 * X["a"] + 2 * np.sin(2 * X["b"]) + effect + 1.5 * X["m"]
    X.loc[rng.random(n_rows) < 0.2, "m"] = np.nan
    return X, (y + 0.3 * rng.normal(size=n_rows)).to_numpy()


def _top(estimator, X, k):
    importances = pd.Series(estimator.feature_importances_, index=X.columns)
    return set(importances.nlargest(k).index)


@pytest.mark.slow
def test_informative_columns_rank_first():
    X, y = _table()
    regressor = fit_quietly(GRNRegressor(variable_selection=True, random_state=0), X, y)
    assert _top(regressor, X, 4) == INFORMATIVE
    classifier = GRNClassifier(variable_selection=True, random_state=0)
    fit_quietly(classifier, X, y > np.median(y))
    assert _top(classifier, X, 4) == INFORMATIVE


def test_one_importance_per_column_summing_to_one():
    X, y = _table(n_rows=200)
    X = X[["a", "c", "noise1", "b", "noise2", "m", "noise3", "noise4"]]
    est = fit_quietly(GRNRegressor(variable_selection=True, max_iter=5, random_state=0), X, y)
    importances = est.feature_importances_
    # The categorical column (one embedding of several units) and the column with
    # missing values (value and indicator) each get one value, in X's column order.
    assert importances.shape == (X.shape[1],)
    assert np.all(importances >= 0)
    np.testing.assert_allclose(importances.sum(), 1.0, rtol=1e-12)
    # They are the rows' selection weights, averaged with the sample weights.
    weights = selection_weights(est.model_, est._layout.encode(X), est._spec.chunk_rows)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)  # float32 here
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    fit_quietly(est, X, y, sample_weight=sample_weight)
    weights = selection_weights(est.model_, est._layout.encode(X), est._spec.chunk_rows)
    by_variable = np.average(weights, axis=0, weights=sample_weight)
    order = [0, 2, 3, 4, 5, 6, 7, 1]  # the network's variables: numeric columns, then "c"
    np.testing.assert_allclose(
        est.feature_importances_[order], by_variable / by_variable.sum(), rtol=rtol(1e-12)
    )


def test_selection_weights_give_each_rows_weights_by_column():
    X, y = _table(n_rows=200)
    X = X[["a", "c", "noise1", "b", "noise2", "m", "noise3", "noise4"]]
    X.index = X.index + 1000
    sample_weight = np.random.default_rng(1).uniform(0.5, 2.0, len(y))
    est = GRNRegressor(variable_selection=True, max_iter=5, random_state=0)
    fit_quietly(est, X, y, sample_weight=sample_weight)
    rows = X.iloc[[5, 0, 7]]
    weights = est.selection_weights(rows)
    assert isinstance(weights, pd.DataFrame)
    assert list(weights.columns) == list(X.columns)
    assert list(weights.index) == [1005, 1000, 1007]
    assert (weights.to_numpy() >= 0).all()
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-12)
    # The network's own weights, in X's column order ("c" is its last variable).
    network = selection_weights(est.model_, est._layout.encode(rows), est._spec.chunk_rows)
    order = [0, 2, 3, 4, 5, 6, 7, 1]
    np.testing.assert_allclose(weights.to_numpy()[:, order], network, rtol=rtol(1e-6))
    assert not np.allclose(weights.iloc[0], weights.iloc[1])  # row by row
    # Averaged over the training rows as fit averages them: the importances.
    everything = est.selection_weights(X)
    np.testing.assert_allclose(
        np.average(everything, axis=0, weights=sample_weight),
        est.feature_importances_,
        rtol=rtol(1e-9),
    )


def test_selection_weights_of_an_array_name_the_columns_x0_x1():
    X, y = _table(n_rows=100)
    numbers = X.drop(columns="c").to_numpy()
    est = fit_quietly(GRNRegressor(variable_selection=True, max_iter=2), numbers, y)
    weights = est.selection_weights(numbers[:4])
    assert list(weights.columns) == [f"x{i}" for i in range(numbers.shape[1])]
    assert list(weights.index) == [0, 1, 2, 3]
    with pytest.raises(ValueError, match="features"):
        est.selection_weights(numbers[:4, :3])


def test_selection_weights_only_with_variable_selection():
    X, y = _table(n_rows=100)
    assert not hasattr(GRNClassifier(), "selection_weights")
    with pytest.raises(AttributeError, match="selection_weights") as refused:
        GRNRegressor().selection_weights(X)
    assert "variable_selection=True" in str(refused.value.__cause__)  # why, below it
    with pytest.raises(NotFittedError):
        GRNRegressor(variable_selection=True).selection_weights(X)
    est = fit_quietly(GRNRegressor(variable_selection=True, max_iter=2), X, y)
    # What the fitted network does, not what the parameter now says.
    est.set_params(variable_selection=False)
    assert est.selection_weights(X).shape == X.shape


def test_importances_only_with_variable_selection():
    X, y = _table(n_rows=100)
    est = fit_quietly(GRNRegressor(max_iter=2, random_state=0), X, y)
    assert not hasattr(est, "feature_importances_")
    est.set_params(variable_selection=True)
    fit_quietly(est, X, y)
    assert hasattr(est, "feature_importances_")
    est.set_params(variable_selection=False)
    fit_quietly(est, X, y)
    assert not hasattr(est, "feature_importances_")
    assert "variable_selection" not in [layer.name for layer in est.model_.layers]


def test_warm_start_refuses_to_switch_variable_selection():
    X, y = _table(n_rows=100)
    est = fit_quietly(GRNRegressor(max_iter=2, warm_start=True, random_state=0), X, y)
    est.set_params(variable_selection=True)
    with pytest.raises(ValueError, match="variable_selection"):
        est.fit(X, y)


def test_partial_fit_recomputes_importances_on_each_chunk():
    X, y = _table(n_rows=200)
    est = GRNRegressor(variable_selection=True, random_state=0)
    est.partial_fit(X[:100], y[:100])
    first = est.feature_importances_.copy()
    est.partial_fit(X[100:], y[100:])
    assert not np.array_equal(first, est.feature_importances_)
    np.testing.assert_allclose(est.feature_importances_.sum(), 1.0, rtol=1e-12)


@pytest.mark.parametrize(
    "params",
    [
        dict(ensemble_size=1),
        dict(ensemble_size=3, slow_layers=1, slow_position="before"),
        dict(dropout_rate=0.3, n_blocks=2),
    ],
)
def test_fits_are_reproducible(params):
    X, y = _table(n_rows=150)
    est = GRNClassifier(variable_selection=True, max_iter=4, random_state=3, **params)
    first = fit_quietly(clone(est), X, y > 0)
    second = fit_quietly(clone(est), X, y > 0)
    np.testing.assert_array_equal(first.predict_proba(X), second.predict_proba(X))
    np.testing.assert_array_equal(first.feature_importances_, second.feature_importances_)
    other = fit_quietly(clone(est).set_params(random_state=4), X, y > 0)
    assert not np.array_equal(first.feature_importances_, other.feature_importances_)


def test_single_column_and_categorical_only_tables():
    rng = np.random.default_rng(0)
    one = rng.normal(size=(80, 1))
    est = fit_quietly(GRNRegressor(variable_selection=True, max_iter=2), one, one[:, 0])
    np.testing.assert_array_equal(est.feature_importances_, [1.0])
    letters = pd.DataFrame({"x": rng.choice(list("abc"), 80), "y": rng.choice(list("de"), 80)})
    clf = fit_quietly(GRNClassifier(variable_selection=True, max_iter=2), letters, letters["x"])
    assert clf.feature_importances_.shape == (2,)
    assert clf.predict(letters).shape == (80,)


def test_pickle_keeps_importances_and_predictions():
    X, y = _table(n_rows=120)
    est = fit_quietly(GRNRegressor(variable_selection=True, max_iter=3, random_state=0), X, y)
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_array_equal(loaded.feature_importances_, est.feature_importances_)
    np.testing.assert_array_equal(loaded.predict(X), est.predict(X))


def test_select_from_model_keeps_the_top_columns():
    X, y = _table(n_rows=120)
    X = X.drop(columns="c")
    selector = SelectFromModel(
        GRNRegressor(variable_selection=True, max_iter=3, random_state=0),
        max_features=3,
        threshold=-np.inf,
    )
    with pytest.warns(Warning):  # max_iter=3 does not converge
        selector.fit(X, y)
    kept = selector.get_feature_names_out()
    assert set(kept) == _top(selector.estimator_, X, 3)


def test_layer_embeds_each_variable_from_its_own_columns_only():
    # Columns 0 and 2 are one variable (a value and its missing-value indicator).
    layer = VariableSelection([0, 1, 0, 2, 2], units=4, dropout_rate=0.0, seed=0)
    inputs = keras.ops.convert_to_tensor(np.random.default_rng(0).normal(size=(6, 5)))
    combined, weights = layer(inputs)
    assert tuple(combined.shape) == (6, 4)
    assert tuple(weights.shape) == (6, 3)
    kernel = keras.ops.convert_to_numpy(layer.kernel).reshape(5, 3, 4)
    outside = np.ones((5, 3), bool)
    outside[[0, 1, 2, 3, 4], [0, 1, 0, 2, 2]] = False
    assert np.all(kernel[outside] == 0) and np.all(kernel[~outside] != 0)
    # Fresh layers select every variable about equally.
    np.testing.assert_allclose(keras.ops.convert_to_numpy(weights), 1 / 3, rtol=0.2)


def test_masked_kernel_entries_stay_zero_through_training():
    X, y = _table(n_rows=120)
    est = fit_quietly(GRNRegressor(variable_selection=True, max_iter=3, random_state=0), X, y)
    layer = est.model_.get_layer("variable_selection")
    kernel = keras.ops.convert_to_numpy(layer.kernel)
    assert np.all(kernel[layer._mask == 0] == 0)
