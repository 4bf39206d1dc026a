"""Target means of numeric columns whose values repeat (target_encoding)."""

import pickle

import numpy as np
import pandas as pd
import pytest
from helpers import fit_quietly
from sklearn.preprocessing import TargetEncoder

import skgrn
from skgrn import GRNClassifier, GRNRegressor
from skgrn._tabular import TARGET_FOLDS, _shrunk_means, _soft_clip, learn_layout

# The default network, which reads the target means, trained for 15 iterations.
TRAINED = dict(max_iter=15, random_state=0)


def school_table(n_rows=600, n_schools=40, seed=0):
    """A numeric school number whose effect on y is one value per school, and x."""
    rng = np.random.default_rng(seed)
    school = rng.integers(100, 100 + n_schools, n_rows)
    effect = rng.normal(size=n_schools)
    X = pd.DataFrame({"school": school, "x": rng.normal(size=n_rows)})
    y = effect[school - 100] + X["x"] + 0.3 * rng.normal(size=n_rows)
    return X, y.to_numpy()


def layout_of(X, y, weights=None):
    weights = np.ones(len(X)) if weights is None else weights
    targets = np.asarray(y, dtype=np.float64).reshape(len(X), -1)
    return learn_layout(X, weights, "from_dtype", targets=targets)


@pytest.mark.parametrize(
    "column, has_means",
    [
        (np.arange(600) % 40, True),  # 40 whole-number values, 15 rows each
        (np.arange(600) % 40 / 7, True),  # repeated values need not be whole numbers
        (np.arange(600) % 9, False),  # too few values: the scaled number says it all
        (np.arange(600) % 150, False),  # 4 rows per value: too few to average
        (np.arange(600) % 120, True),  # 5 rows per value
    ],
)
def test_columns_whose_values_repeat_get_target_means(column, has_means):
    X = pd.DataFrame({"c": column, "x": np.linspace(0, 1, 600)})
    layout = layout_of(X, np.sin(column))
    assert [means.column for means in layout.target_means] == ([0] if has_means else [])
    assert layout.n_target_columns == int(has_means)


def test_no_targets_no_target_means():
    X, _ = school_table()
    assert learn_layout(X, np.ones(len(X)), "from_dtype").target_means == []


def test_shrunk_means_are_scikit_learns_target_encoding():
    rng = np.random.default_rng(0)
    values = rng.integers(0, 12, 300)
    y = rng.normal(size=300) + values % 3
    encoder = TargetEncoder(smooth="auto", target_type="continuous").fit(values[:, None], y)
    counts, sums, squares = (
        np.bincount(values, power, minlength=12)[None] for power in (None, y, y**2)
    )
    np.testing.assert_allclose(
        _shrunk_means(counts, sums, squares)[0], encoder.encodings_[0] - encoder.target_mean_
    )


def test_value_without_rows_or_table_without_spread_gets_zero():
    counts = np.array([[3.0, 0.0, 2.0], [1.0, 1.0, 1.0]])
    sums = np.array([[3.0, 0.0, -2.0], [2.0, 2.0, 2.0]])  # second table: one target value
    means = _shrunk_means(counts, sums, sums**2 / np.maximum(counts, 1))
    assert means[0, 1] == 0 and means[0, 0] > 0 > means[0, 2]
    np.testing.assert_array_equal(means[1], 0)


def test_prediction_uses_the_means_of_all_rows_and_zero_for_unseen_or_missing():
    X, y = school_table()
    layout = layout_of(X, y)
    (means,) = layout.target_means
    new = pd.DataFrame({"school": [100.0, 100.5, 999.0, np.nan], "x": 0.0})
    encoded = layout.encode(new)
    column = len(layout.numeric)  # target means follow the scaled columns
    assert encoded[0, column] == np.float32(means.means[0, 0]) != 0
    np.testing.assert_array_equal(encoded[1:, column], 0)
    # Unscaled, the means are scikit-learn's target encoding of all rows (where
    # not compressed beyond 3 spreads, as every numeric input is).
    encoder = TargetEncoder(smooth="auto", target_type="continuous").fit(X[["school"]], y)
    unclipped = np.abs(means.means[:-1, 0]) < 3
    assert unclipped.sum() > 35
    np.testing.assert_allclose(
        means.means[:-1, 0][unclipped] * means.spread[0],
        (encoder.encodings_[0] - encoder.target_mean_)[unclipped],
    )


def test_training_rows_see_the_means_of_the_other_folds():
    X, y = school_table()
    layout = layout_of(X, y)
    (means,) = layout.target_means
    folds = np.random.default_rng(0).integers(0, TARGET_FOLDS, len(X))
    targets = y[:, None]
    training = layout.encode(X, cross_fit=(targets, np.ones(len(X)), folds))
    column = len(layout.numeric)
    index = X["school"].to_numpy() - 100
    expected = np.empty(len(X))
    for fold in range(TARGET_FOLDS):
        others = folds != fold
        counts, sums, squares = (
            np.bincount(index[others], power, minlength=40)[None]
            for power in (None, y[others], y[others] ** 2)
        )
        expected[folds == fold] = _shrunk_means(counts, sums, squares)[0, index[folds == fold]]
    np.testing.assert_allclose(
        training[:, column], _soft_clip(expected / means.spread[0]), rtol=1e-6, atol=1e-7
    )
    # So a row's own target never reaches its input.
    changed = y.copy()
    changed[0] += 100.0
    again = layout.encode(X, cross_fit=(changed[:, None], np.ones(len(X)), folds))
    assert again[0, column] == training[0, column]
    assert (again[(index == index[0]) & (folds != folds[0]), column] > training[0, column]).all()


def test_integer_weights_give_the_target_means_of_repeated_rows():
    X, y = school_table()
    weights = np.random.default_rng(1).integers(0, 3, len(X)).astype(float)
    weighted = layout_of(X, y, weights).target_means[0]
    repeated_rows = np.repeat(np.arange(len(X)), weights.astype(int))
    repeated = layout_of(X.iloc[repeated_rows], y[repeated_rows]).target_means[0]
    np.testing.assert_array_equal(weighted.values, repeated.values)
    np.testing.assert_allclose(weighted.means, repeated.means, rtol=1e-12)
    np.testing.assert_allclose(weighted.spread, repeated.spread, rtol=1e-12)


def test_classifier_gets_a_column_of_means_per_class():
    X, y = school_table()
    labels = np.digitize(y, [-1, 0, 1])  # four classes
    clf = fit_quietly(GRNClassifier(target_encoding=True, **TRAINED), X, labels)
    assert clf._layout.n_target_columns == 4
    binary = fit_quietly(GRNClassifier(target_encoding=True, **TRAINED), X, labels > 1)
    assert binary._layout.n_target_columns == 1


def test_auto_encodes_from_2000_rows():
    X, y = school_table(n_rows=1999)
    assert fit_quietly(GRNRegressor(**TRAINED), X, y)._layout.target_means == []
    assert fit_quietly(GRNRegressor(target_encoding=True, **TRAINED), X, y)._layout.target_means
    X, y = school_table(n_rows=2000)
    assert fit_quietly(GRNRegressor(max_iter=2, random_state=0), X, y)._layout.target_means
    off = fit_quietly(GRNRegressor(max_iter=2, random_state=0, target_encoding=False), X, y)
    assert off._layout.target_means == []


def test_target_means_let_the_network_learn_a_code_effect():
    """A school number's effect is one value per school: read as a scaled number the
    network fits it badly, with its target means well."""
    X, y = school_table(n_rows=3000, n_schools=200)
    train, test = slice(0, 2400), slice(2400, None)
    scores = {
        encoding: GRNRegressor(target_encoding=encoding, max_iter=30, random_state=0)
        .fit(X[train], y[train])
        .score(X[test], y[test])
        for encoding in (False, True)
    }
    assert scores[True] > 0.85 and scores[False] < 0.6


def test_refits_are_identical_and_warm_start_keeps_the_means():
    X, y = school_table()
    first = fit_quietly(GRNRegressor(target_encoding=True, warm_start=True, **TRAINED), X, y)
    second = fit_quietly(GRNRegressor(target_encoding=True, **TRAINED), X, y)
    np.testing.assert_array_equal(first.predict(X), second.predict(X))
    layout = first._layout
    fit_quietly(first, X, y + 1.0)
    assert first._layout is layout


def test_partial_fit_learns_the_means_from_the_first_chunk():
    X, y = school_table()
    reg = GRNRegressor(target_encoding=True, random_state=0)
    reg.partial_fit(X[:300], y[:300])
    means = reg._layout.target_means[0].means.copy()
    reg.partial_fit(X[300:], y[300:] + 5.0)
    np.testing.assert_array_equal(reg._layout.target_means[0].means, means)


def test_pickle_and_save_keep_the_means(tmp_path):
    X, y = school_table()
    reg = fit_quietly(GRNRegressor(target_encoding=True, **TRAINED), X, y)
    expected = reg.predict(X)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(reg)).predict(X), expected)
    skgrn.save(reg, tmp_path / "reg.skgrn")
    np.testing.assert_array_equal(skgrn.load(tmp_path / "reg.skgrn").predict(X), expected)


def test_layout_pickled_before_target_means_loads_without_them():
    X, y = school_table()
    layout = layout_of(X, y)
    state = dict(layout.__dict__)
    del state["target_means"]
    old = object.__new__(type(layout))
    old.__setstate__(state)
    assert old.target_means == [] and old.n_target_columns == 0


@pytest.mark.parametrize("embedding", [None, "periodic", "piecewise_linear"])
def test_variable_selection_gives_the_means_to_their_column(embedding):
    X, y = school_table()
    X["missing"] = np.where(np.arange(len(X)) % 7 == 0, np.nan, np.arange(len(X)) % 3)
    reg = fit_quietly(
        GRNRegressor(
            target_encoding=True, variable_selection=True, numeric_embedding=embedding, **TRAINED
        ),
        X,
        y,
    )
    spec = reg._spec
    assert spec.target_columns == (0,)
    variables = spec.variable_of_input()
    assert len(variables) == spec.embedded_numeric_width + sum(spec.embedding_dims)
    assert variables.count(0) == 2 * spec.numeric_units  # its value and its means
    assert reg.feature_importances_.shape == (3,)
    np.testing.assert_allclose(reg.feature_importances_.sum(), 1.0)
