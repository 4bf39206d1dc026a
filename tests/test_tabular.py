"""Tables as input: DataFrames with mixed column types and missing values, the
``categorical_features`` parameter, and the column layout learned at fit
(see skgrn/_tabular.py)."""

import pickle
from functools import partial

import joblib
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from helpers import ON_TENSORFLOW, fit_quietly
from sklearn.metrics import accuracy_score, r2_score

import skgrn
import skgrn._base
import skgrn._tabular
from skgrn import GRNClassifier, GRNRegressor
from skgrn._network import selection_weights as network_selection_weights
from skgrn._network import to_numpy
from skgrn._tabular import _FIRST_CATEGORY_CODE as _FIRST_CODE
from skgrn._tabular import (
    FEW_ROWS,
    MISSING_CODE,
    UNKNOWN_CODE,
    as_table,
    date_features,
    embedding_dim,
    embedding_rows,
    learn_layout,
)

N_ROWS = 150
# Tables: the default numeric embedding (with its plain branch, read below), a wider
# block and no slow layer, a faster learning rate, and early stopping off, so that
# every row trains.
TABLES = dict(
    numeric_embedding="auto",
    block_units=16,
    slow_layers=0,
    learning_rate_init=1e-2,
    early_stopping=False,
)
COLOURS = np.array(["red", "green", "blue"])
# The classifier's target is a function of the string column "colour" alone.
LABEL_OF_COLOUR = {"red": "stop", "green": "go", "blue": "wait", None: "go"}


@pytest.fixture(scope="module")
def make_clf(make_clf):
    return partial(make_clf, **TABLES)


@pytest.fixture(scope="module")
def make_reg(make_reg):
    return partial(make_reg, **TABLES)


def with_missing(rng, values, missing, rate=0.2):
    """``values`` as objects, with ``missing`` in about ``rate`` of the rows."""
    values = np.asarray(values).astype(object)
    values[rng.rand(values.size) < rate] = missing
    return values


def make_mixed_frame(n_rows, seed):
    """One column of every supported kind, each with missing values where it can."""
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {
            "height": np.where(rng.rand(n_rows) < 0.2, np.nan, rng.randn(n_rows)),
            "count": rng.randint(0, 10, n_rows),
            "flag": rng.rand(n_rows) < 0.5,
            "size": pd.Categorical(with_missing(rng, rng.choice(["S", "M", "L"], n_rows), np.nan)),
            "colour": pd.Series(
                with_missing(rng, rng.choice(COLOURS, n_rows), None, rate=0.1), dtype=object
            ),
            "city": pd.Series(
                with_missing(rng, [f"city{k}" for k in rng.randint(4, size=n_rows)], pd.NA),
                dtype=pd.StringDtype("pyarrow"),
            ),
            "shop": pd.Series(
                with_missing(rng, [f"shop{k}" for k in rng.randint(3, size=n_rows)], None),
                dtype=pd.ArrowDtype(pa.string()),
            ),
            "age": pd.Series(with_missing(rng, rng.randint(18, 90, n_rows), pd.NA), dtype="Int64"),
        }
    )


MIXED_KINDS = [
    "numeric",
    "numeric",
    "categorical",
    "categorical",
    "categorical",
    "categorical",
    "categorical",
    "numeric",
]


def labels_of(frame):
    return np.array([LABEL_OF_COLOUR[value] for value in frame["colour"]])


@pytest.fixture(scope="module")
def mixed():
    return make_mixed_frame(N_ROWS, seed=0)


@pytest.fixture(scope="module")
def mixed_target(mixed):
    """A regression target depending on a numeric, a bool and a string column."""
    height = mixed["height"].fillna(0).to_numpy()
    return (
        2 * height + mixed["flag"].to_numpy() + (mixed["city"] == "city1").fillna(False).to_numpy()
    )


@pytest.fixture(scope="module")
def fitted_clf(make_clf, mixed):
    return fit_quietly(make_clf(), mixed, labels_of(mixed))


@pytest.fixture(scope="module")
def fitted_reg(make_reg, mixed, mixed_target):
    return fit_quietly(make_reg(), mixed, mixed_target)


# -- mixed DataFrames, no preprocessing -------------------------------------------------
def test_mixed_frame_layout(fitted_clf):
    layout = fitted_clf._layout
    assert layout.kinds == MIXED_KINDS
    # height and age had missing values; count had none.
    assert [column.has_indicator for column in layout.numeric] == [True, False, True]
    assert layout.n_numeric == 5
    # categories + unknown + missing
    assert fitted_clf._layout.cardinalities == (4, 5, 5, 6, 5)
    # Tables of 8 rows (codes rounded up to a power of two), each 1.6 * 8**0.56 ~ 5 wide.
    assert fitted_clf._spec.embedding_rows == (8, 8, 8, 8, 8)
    assert fitted_clf._spec.embedding_dims == (5, 5, 5, 5, 5)
    assert list(layout.categorical[2].categories) == ["blue", "green", "red"]


def test_classifier_on_mixed_frame(mixed, fitted_clf):
    y = labels_of(mixed)
    proba = fitted_clf.predict_proba(mixed)
    assert proba.shape == (N_ROWS, 3)
    assert np.isfinite(proba).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    pred = fitted_clf.predict(mixed)
    assert pred.shape == (N_ROWS,)
    assert set(pred) <= {"go", "stop", "wait"}
    # The label is carried by the string column alone: chance is about 0.4.
    assert fitted_clf.score(mixed, y) >= 0.9
    # ... and it is the string column that was learned, not noise in the others.
    fresh = make_mixed_frame(N_ROWS, seed=1)
    assert accuracy_score(labels_of(fresh), fitted_clf.predict(fresh)) >= 0.9


def test_regressor_on_mixed_frame(mixed, mixed_target, fitted_reg):
    pred = fitted_reg.predict(mixed)
    assert pred.shape == (N_ROWS,)
    assert np.isfinite(pred).all()
    score = fitted_reg.score(mixed, mixed_target)
    assert np.isfinite(score) and score > 0.5


def test_allow_nan_tag(make_clf, make_reg):
    for estimator in (make_clf(), make_reg()):
        assert estimator.__sklearn_tags__().input_tags.allow_nan is True


# -- unseen and missing categories ------------------------------------------------------
def test_unseen_missing_and_known_categories(mixed, fitted_clf):
    layout = fitted_clf._layout
    rows = mixed.iloc[:3].copy()
    # Row 0: categories never seen at fit; row 1: all missing; row 2: seen categories.
    rows["flag"] = pd.Series([True, None, False], dtype=object)  # new dtype, known values
    rows["size"] = pd.Categorical(["XXL", None, "M"])
    rows["colour"] = pd.Series(["purple", None, "red"], dtype=object)
    rows["city"] = pd.Series(["atlantis", pd.NA, "city2"], dtype=pd.StringDtype("pyarrow"))
    rows["shop"] = pd.Series(["nowhere", None, "shop0"], dtype=pd.ArrowDtype(pa.string()))
    codes = layout.encode(rows)[:, layout.n_numeric :]
    assert codes.shape == (3, 5)
    # flag: True was seen at fit, so it is not unknown
    assert codes[0, 0] >= 2
    np.testing.assert_array_equal(codes[0, 1:], UNKNOWN_CODE)
    np.testing.assert_array_equal(codes[1], MISSING_CODE)
    assert (codes[2] >= 2).all()
    assert codes[2, 2] == 2 + list(layout.categorical[2].categories).index("red")

    proba = fitted_clf.predict_proba(rows)
    assert np.isfinite(proba).all()
    assert fitted_clf.predict(rows).shape == (3,)


def test_unknown_code_embedding_stays_neutral(fitted_clf):
    """Training never sees code 0, so an unseen category gets the zero embedding."""
    columns = fitted_clf.model_.get_layer("columns")
    assert len(columns.embeddings) == len(fitted_clf._layout.categorical) == 5
    for embedding in columns.embeddings:
        table = np.asarray(embedding.embeddings)
        np.testing.assert_array_equal(table[UNKNOWN_CODE], 0.0)
        assert np.abs(table[2:]).max() > 0


def test_thousands_of_categories(make_reg):
    rng = np.random.RandomState(0)
    n_categories = 3000
    codes = np.tile(np.arange(n_categories), 2)
    names = np.array([f"item{k:04d}" for k in range(n_categories)], dtype=object)
    value_of_category = rng.randn(n_categories)
    X = pd.DataFrame({"item": names[codes], "noise": rng.randn(codes.size)})
    y = value_of_category[codes]
    reg = fit_quietly(make_reg(max_iter=10), X, y)
    assert reg._layout.cardinalities == (n_categories + 2,)
    assert reg._spec.embedding_rows == (4096,)
    assert reg._spec.embedding_dims == (16,)
    assert r2_score(y, reg.predict(X)) > 0.9


# -- numeric columns ---------------------------------------------------------------------
def test_numeric_scaling_is_robust_to_outliers(make_reg):
    rng = np.random.RandomState(0)
    heavy = rng.standard_cauchy(200) * 1e3
    heavy[0] = 1e12
    X = pd.DataFrame({"amount": heavy, "other": rng.randn(200)})
    y = np.sign(heavy) + 0.1 * rng.randn(200)
    reg = fit_quietly(make_reg(max_iter=10), X, y)
    layout = reg._layout

    probe = np.concatenate([heavy, [-1e15, -1e6, -1.0, 0.0, 1.0, 1e6, 1e15]])
    table = pd.DataFrame({"amount": probe, "other": np.zeros(probe.size)})
    encoded = layout.encode(table)[:, 0]
    # Outliers are compressed logarithmically: 1e15 lands near 40, not 1e12.
    assert np.abs(encoded).max() <= 45
    # The bulk of the column is spread out, not squashed by the 1e12 outlier...
    assert encoded[1:200].std() > 0.5
    # ...and scaled linearly: within three robust deviations of the median, z-scores pass.
    column = layout.numeric[0]
    bulk = np.abs(heavy - column.center) < 3 * column.spread
    np.testing.assert_allclose(encoded[:200][bulk], (heavy[bulk] - column.center) / column.spread)
    order = np.argsort(probe, kind="stable")
    assert (np.diff(encoded[order]) >= 0).all()
    # Strictly increasing inside the range seen at fit.
    inside = np.sort(heavy)[5:-5]
    assert (np.diff(layout.encode(pd.DataFrame({"amount": inside, "other": 0.0}))[:, 0]) > 0).all()

    pred = reg.predict(table)
    assert np.isfinite(pred).all()
    assert r2_score(y, reg.predict(X)) > 0.5


def test_missing_numeric_values(make_reg):
    rng = np.random.RandomState(0)
    with_missing = rng.randn(80)
    with_missing[::4] = np.nan
    X = pd.DataFrame(
        {
            "with_missing": with_missing,
            "complete": rng.randn(80),
            "kind": rng.choice(["a", "b"], 80),
        }
    )
    y = np.nan_to_num(with_missing) + X["complete"]
    reg = fit_quietly(make_reg(max_iter=5), X, y)
    layout = reg._layout
    assert [column.has_indicator for column in layout.numeric] == [True, False]
    assert layout.n_numeric == 3
    encoded = layout.encode(X)
    assert encoded.shape == (80, 4)
    missing = np.isnan(with_missing)
    np.testing.assert_array_equal(encoded[missing, 0], 0.0)
    np.testing.assert_array_equal(encoded[:, 2], missing.astype(float))
    assert (encoded[~missing, 0] != 0).any()

    # NaN at predict in a column that had none at fit: encoded 0.0, no indicator, no error.
    test = X.iloc[:4].copy()
    test["complete"] = [np.nan, None, 1.0, np.nan]
    encoded = layout.encode(test)
    assert encoded.shape == (4, 4)
    np.testing.assert_array_equal(encoded[[0, 1, 3], 1], 0.0)
    assert np.isfinite(reg.predict(test)).all()
    test["complete"] = pd.array([pd.NA, 1.0, pd.NA, 2.0], dtype="Float64")
    assert np.isfinite(reg.predict(test)).all()


@pytest.mark.parametrize("stage", ["fit", "predict"])
def test_infinity_is_refused_naming_the_column(make_reg, mixed, mixed_target, fitted_reg, stage):
    bad = mixed.copy()
    bad.loc[3, "height"] = np.inf
    with pytest.raises(ValueError, match="infinity.*'height'"):
        if stage == "fit":
            make_reg(max_iter=1).fit(bad, mixed_target)
        else:
            fitted_reg.predict(bad)


def test_text_in_numeric_column_at_predict_names_the_column(mixed, fitted_reg):
    bad = mixed.copy()
    bad["height"] = pd.Series(["tall"] * N_ROWS, dtype=object)
    with pytest.raises((TypeError, ValueError), match="'height'"):
        fitted_reg.predict(bad)


# -- column names ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "change, name",
    [
        (lambda X: X.drop(columns="colour"), "colour"),
        (lambda X: X.assign(extra=1.0), "extra"),
        (lambda X: X.rename(columns={"city": "town"}), "town"),
        (lambda X: X.rename(columns={"city": "town"}), "city"),
    ],
    ids=["missing", "extra", "renamed-new", "renamed-old"],
)
def test_wrong_columns_at_predict_name_the_column(mixed, fitted_clf, change, name):
    with pytest.raises(ValueError, match=name):
        fitted_clf.predict(change(mixed))


def test_reordered_columns_are_refused(mixed, fitted_clf):
    with pytest.raises(ValueError, match="same order"):
        fitted_clf.predict(mixed[mixed.columns[::-1]])


# -- categorical_features ----------------------------------------------------------------
@pytest.fixture(scope="module")
def small_frame():
    rng = np.random.RandomState(0)
    return pd.DataFrame(
        {
            "x": rng.randn(40),
            "code": rng.randint(0, 5, 40),
            "word": pd.Series(rng.choice(["u", "v", "w"], 40), dtype=object),
        }
    )


@pytest.fixture(scope="module")
def small_target(small_frame):
    return small_frame["x"].to_numpy() + small_frame["code"].to_numpy()


@pytest.mark.parametrize(
    "categorical_features",
    [
        ["code", "word"],
        ("word", "code"),
        np.array(["code", "word"]),
        [1, 2],
        [1, -1],
        [-2, -1],
        np.array([1, 2]),
        [False, True, True],
        np.array([False, True, True]),
    ],
    ids=[
        "names",
        "tuple",
        "name-array",
        "indices",
        "negative",
        "all-negative",
        "index-array",
        "mask",
        "mask-array",
    ],
)
def test_categorical_features_declared(make_reg, small_frame, small_target, categorical_features):
    reg = fit_quietly(
        make_reg(max_iter=1, categorical_features=categorical_features), small_frame, small_target
    )
    assert reg._layout.kinds == ["numeric", "categorical", "categorical"]
    # code: 5 values, word: 3 values, each + unknown + missing
    assert reg._layout.cardinalities == (7, 5)
    assert list(reg._layout.categorical[0].categories) == [0, 1, 2, 3, 4]
    assert np.isfinite(reg.predict(small_frame)).all()


@pytest.mark.parametrize(
    "categorical_features, kinds, cardinalities",
    [
        ("from_dtype", ["numeric", "numeric", "categorical"], (5,)),
        (None, ["numeric", "numeric"], ()),
        ([], ["numeric", "numeric"], ()),
    ],
)
def test_categorical_features_default_and_none(
    make_reg, small_frame, small_target, categorical_features, kinds, cardinalities
):
    X = small_frame if categorical_features == "from_dtype" else small_frame[["x", "code"]]
    reg = fit_quietly(
        make_reg(max_iter=1, categorical_features=categorical_features), X, small_target
    )
    assert reg._layout.kinds == kinds
    assert reg._layout.cardinalities == cardinalities


def test_from_dtype_is_the_default():
    assert GRNClassifier().categorical_features == "from_dtype"
    assert GRNRegressor().categorical_features == "from_dtype"


@pytest.mark.parametrize("categorical_features", ["from_dtype", [1], [-1], [False, True]])
def test_numpy_object_array_with_strings(make_clf, categorical_features):
    rng = np.random.RandomState(0)
    words = rng.choice(["u", "v", "w"], 40)
    X = np.empty((40, 2), dtype=object)
    X[:, 0] = rng.randn(40)
    X[:, 1] = words
    X[3, 1] = None
    y = (words == "v").astype(int)
    clf = fit_quietly(make_clf(max_iter=1, categorical_features=categorical_features), X, y)
    assert clf._layout.kinds == ["numeric", "categorical"]
    assert clf._layout.cardinalities == (5,)
    assert list(clf._layout.categorical[0].categories) == ["u", "v", "w"]
    assert clf.predict_proba(X).shape == (40, 2)


def test_numpy_fixed_width_strings_are_categorical(make_clf):
    X = np.array([["a", "x"], ["b", "y"], ["a", "y"], ["b", "x"]] * 5)
    clf = fit_quietly(make_clf(max_iter=1), X, [0, 1, 0, 1] * 5)
    assert clf._layout.kinds == ["categorical", "categorical"]
    assert clf.predict(X).shape == (20,)


def test_integer_codes_in_float_array_declared_categorical(make_reg):
    rng = np.random.RandomState(0)
    X = np.column_stack([rng.randn(60), rng.randint(0, 6, 60).astype(float)])
    X[5, 1] = np.nan
    y = np.nan_to_num(X[:, 1]) % 2
    reg = fit_quietly(make_reg(max_iter=1, categorical_features=[1]), X, y)
    assert reg._layout.kinds == ["numeric", "categorical"]
    assert reg._layout.cardinalities == (8,)
    np.testing.assert_array_equal(reg._layout.categorical[0].categories, np.arange(6.0))
    encoded = reg._layout.encode(X)
    assert encoded[5, -1] == MISSING_CODE
    np.testing.assert_array_equal(encoded[X[:, 1] == 3, -1], 2 + 3)
    assert np.isfinite(reg.predict(X)).all()


@pytest.mark.parametrize(
    "categorical_features, match",
    [
        (["code", "nope"], "nope"),
        ([3], r"\[3\]"),
        ([-4], r"\[-4\]"),
        ([True, False], "boolean mask"),
        ([True, False, True, False], "boolean mask"),
        ([[1, 2]], "1-d"),
        ([1.5], "categorical_features"),
    ],
    ids=[
        "unknown-name",
        "index-too-large",
        "index-too-small",
        "short-mask",
        "long-mask",
        "2d",
        "floats",
    ],
)
def test_categorical_features_errors(
    make_reg, small_frame, small_target, categorical_features, match
):
    with pytest.raises(ValueError, match=match):
        make_reg(max_iter=1, categorical_features=categorical_features).fit(
            small_frame, small_target
        )


def test_categorical_features_names_need_column_names(make_reg, small_frame, small_target):
    X = small_frame[["x", "code"]].to_numpy()
    with pytest.raises(ValueError, match="column names"):
        make_reg(max_iter=1, categorical_features=["code"]).fit(X, small_target)


def test_undeclared_object_string_column_is_an_error(make_reg, small_frame, small_target):
    with pytest.raises(ValueError, match="'word'.*categorical_features"):
        make_reg(max_iter=1, categorical_features=["code"]).fit(small_frame, small_target)


def test_undeclared_string_column_in_numpy_array_is_an_error(make_reg):
    X = np.array([[1.0, "a"], [2.0, "b"], [3.0, "a"]], dtype=object)
    with pytest.raises(ValueError, match="(?i)column 1.*categorical_features"):
        make_reg(max_iter=1, categorical_features=[0]).fit(X, [1.0, 2.0, 3.0])


@pytest.mark.parametrize(
    "dtype",
    ["str", pd.StringDtype("pyarrow"), pd.ArrowDtype(pa.string()), "category"],
    ids=["str", "string-pyarrow", "arrow-string", "category"],
)
def test_undeclared_typed_string_column_error_suggests_categorical_features(
    make_reg, small_frame, small_target, dtype
):
    X = small_frame.astype({"word": dtype})
    with pytest.raises((TypeError, ValueError), match="'word'.*categorical_features"):
        make_reg(max_iter=1, categorical_features=["code"]).fit(X, small_target)


def test_undeclared_typed_string_column_is_an_error_naming_it(make_reg, small_frame, small_target):
    X = small_frame.astype({"word": "str"})
    with pytest.raises((TypeError, ValueError), match="'word'"):
        make_reg(max_iter=1, categorical_features=["code"]).fit(X, small_target)


# -- sample weights ----------------------------------------------------------------------
def weighted_frame():
    rng = np.random.RandomState(0)
    n_rows = 60
    frame = pd.DataFrame(
        {
            "x": np.round(rng.randn(n_rows), 1),  # ties, so the quartiles see repeated values
            "word": pd.Series(rng.choice(["a", "b", "c", "d"], n_rows), dtype=object),
            "size": pd.Categorical(rng.choice(["S", "M", "L"], n_rows)),
        }
    )
    weights = rng.randint(0, 4, n_rows)
    return frame, weights


def assert_same_layout(left, right):
    assert left.kinds == right.kinds
    assert len(left.numeric) == len(right.numeric)
    for a, b in zip(left.numeric, right.numeric, strict=True):
        assert (a.center, a.spread) == (b.center, b.spread)
        assert a.has_indicator == b.has_indicator
        assert a.bin_edges == b.bin_edges
    assert len(left.categorical) == len(right.categorical)
    for a, b in zip(left.categorical, right.categorical, strict=True):
        np.testing.assert_array_equal(a.categories, b.categories)
    assert left.cardinalities == right.cardinalities


def test_integer_weights_give_the_layout_of_repeated_rows(make_reg):
    frame, weights = weighted_frame()
    frame.loc[np.flatnonzero(weights > 0)[:3], "x"] = np.nan  # missing only in weighted rows
    y = frame["x"].fillna(0).to_numpy()
    repeated = frame.loc[frame.index.repeat(weights)].reset_index(drop=True)
    weighted = fit_quietly(make_reg(max_iter=1), frame, y, sample_weight=weights)
    plain = fit_quietly(make_reg(max_iter=1), repeated, np.repeat(y, weights))
    assert_same_layout(weighted._layout, plain._layout)
    # Equal layouts encode equally.
    np.testing.assert_array_equal(weighted._layout.encode(frame), plain._layout.encode(frame))
    # Each code of the two categorical columns counts its rows as the repeated rows do.
    shrinkage = weighted.model_.get_layer("columns").shrinkage
    assert len(shrinkage) == 2
    for a, b in zip(shrinkage, plain.model_.get_layer("columns").shrinkage, strict=True):
        np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-6)


def test_zero_weight_rows_are_ignored_by_the_layout(make_reg):
    frame, weights = weighted_frame()
    weights[:3] = 0
    frame.loc[:2, "word"] = "ghost"  # a category only in rows of weight 0
    frame.loc[:2, "x"] = 1e9  # an extreme value only in rows of weight 0
    y = frame["x"].clip(upper=10).to_numpy()
    reg = fit_quietly(make_reg(max_iter=1), frame, y, sample_weight=weights)
    assert "ghost" not in list(reg._layout.categorical[0].categories)
    column = reg._layout.numeric[0]
    assert abs(column.center) < 10 and column.spread < 10
    kept = weights > 0
    n_bins = reg._spec.embedding_terms  # the bins "auto" learned
    assert_same_layout(
        reg._layout,
        learn_layout(frame[kept], weights[kept].astype(float), "from_dtype", n_bins=n_bins),
    )
    # The zero-weight category is unknown at predict.
    assert reg._layout.encode(frame.iloc[:1])[0, reg._layout.n_numeric] == UNKNOWN_CODE


def test_missing_values_in_zero_weight_rows_add_no_indicator():
    frame, weights = weighted_frame()
    weights[:3] = 0
    weights[3:] = np.maximum(weights[3:], 1)
    frame.loc[:2, "x"] = np.nan  # missing only in rows of weight 0
    kept = frame.iloc[3:]
    assert_same_layout(
        learn_layout(frame, weights.astype(float), "from_dtype"),
        learn_layout(
            kept.loc[kept.index.repeat(weights[3:])], np.ones(int(weights[3:].sum())), "from_dtype"
        ),
    )


# -- regression targets in original units ------------------------------------------------
def test_regression_target_in_dollars(make_reg):
    rng = np.random.RandomState(0)
    X = rng.randn(200, 3)
    y = 1e6 * (X[:, 0] + 0.5 * X[:, 1] ** 2) + 5e7
    reg = fit_quietly(make_reg(max_iter=60), X, y)
    pred = reg.predict(X)
    assert abs(pred.mean() - y.mean()) < 0.1 * y.std()
    assert r2_score(y, pred) > 0.8
    assert reg.target_mean_ == pytest.approx([y.mean()])
    assert reg.target_scale_ == pytest.approx([y.std()])


# -- persistence and reuse of the layout ------------------------------------------------
@pytest.mark.parametrize("which", ["clf", "reg"])
def test_joblib_round_trip_of_mixed_frame_estimator(mixed, fitted_clf, fitted_reg, tmp_path, which):
    estimator = fitted_clf if which == "clf" else fitted_reg
    path = tmp_path / "model.joblib"
    joblib.dump(estimator, path)
    loaded = joblib.load(path)
    fresh = make_mixed_frame(30, seed=2)
    if which == "clf":
        np.testing.assert_array_equal(loaded.predict_proba(fresh), estimator.predict_proba(fresh))
        np.testing.assert_array_equal(loaded.predict(mixed), estimator.predict(mixed))
    else:
        np.testing.assert_array_equal(loaded.predict(fresh), estimator.predict(fresh))
    assert loaded._layout.kinds == estimator._layout.kinds
    assert_same_layout(loaded._layout, estimator._layout)
    np.testing.assert_array_equal(loaded.feature_names_in_, mixed.columns.to_numpy())


def _no_relearning(*args, **kwargs):
    raise AssertionError("learn_layout called after the first fit")


@pytest.mark.parametrize("which", ["clf", "reg"])
def test_layout_is_learned_once(make_clf, make_reg, mixed, mixed_target, monkeypatch, which):
    y = labels_of(mixed) if which == "clf" else mixed_target
    estimator = fit_quietly(
        (make_clf if which == "clf" else make_reg)(max_iter=2, warm_start=True), mixed, y
    )
    layout = estimator._layout
    monkeypatch.setattr(skgrn._base, "learn_layout", _no_relearning)
    estimator.predict(mixed)
    estimator.score(mixed, y)
    if which == "clf":
        estimator.predict_proba(mixed)
    estimator.partial_fit(mixed.iloc[:50], y[:50])
    fit_quietly(estimator, mixed, y)
    assert estimator._layout is layout
    assert estimator.n_iter_ == 2 + 1 + 2


def test_fit_without_warm_start_relearns_the_layout(make_reg, mixed, mixed_target):
    reg = fit_quietly(make_reg(max_iter=1), mixed, mixed_target)
    first = reg._layout
    fit_quietly(reg, mixed.iloc[:100], mixed_target[:100])
    assert reg._layout is not first


# -- dtype of the network ----------------------------------------------------------------
def test_float32_array_trains_a_float32_network(make_reg):
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3).astype(np.float32)
    y = X[:, 0] - X[:, 1]
    reg = fit_quietly(make_reg(max_iter=2), X, y)
    assert reg._spec.dtype == "float32"
    assert reg._layout.encode(X).dtype == np.float32
    assert all(weight.dtype == "float32" for weight in reg.model_.weights)
    assert reg.predict(X).dtype == np.float32


def test_mixed_dataframe_trains_in_float32(mixed, fitted_reg, fitted_clf):
    """Integer, boolean, categorical and text columns carry no float64 precision."""
    assert fitted_reg._spec.dtype == "float32"
    assert all(weight.dtype == "float32" for weight in fitted_reg.model_.weights)
    assert fitted_reg.predict(mixed).dtype == np.float32
    proba = fitted_clf.predict_proba(mixed)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-6)


# Outside TensorFlow, float64 tables run through float32 networks (skgrn._engine.network_dtype).
NETWORK_FLOAT64 = "float64" if ON_TENSORFLOW else "float32"


def test_all_float64_dataframe_trains_like_the_same_array(make_reg):
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3)
    y = X[:, 0] - X[:, 1]
    from_frame = fit_quietly(make_reg(max_iter=3), pd.DataFrame(X, columns=list("abc")), y)
    from_array = fit_quietly(make_reg(max_iter=3), X, y)
    assert from_frame._spec.dtype == from_array._spec.dtype == NETWORK_FLOAT64
    np.testing.assert_array_equal(
        from_frame.predict(pd.DataFrame(X, columns=list("abc"))), from_array.predict(X)
    )


def test_float64_array_trains_in_float64(make_reg):
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3)
    reg = fit_quietly(make_reg(max_iter=2), X, X[:, 0])
    assert reg._spec.dtype == NETWORK_FLOAT64
    assert reg.predict(X).dtype == np.float64


def test_single_row_categories_share_the_unknown_code():
    X = pd.DataFrame({"city": ["paris", "paris", "oslo", "rome", "rome", None]})
    layout = learn_layout(X, np.ones(len(X)), "from_dtype")
    assert list(layout.categorical[0].categories) == ["paris", "rome"]
    codes = layout.encode(pd.DataFrame({"city": ["oslo", "lima", "paris", None]}))[:, 0]
    np.testing.assert_array_equal(codes, [UNKNOWN_CODE, UNKNOWN_CODE, 2, MISSING_CODE])


def test_each_code_counts_its_rows_by_weight():
    X = pd.DataFrame({"city": ["paris", "paris", "oslo", "rome", "rome", None]})
    weights = np.array([1.0, 2.0, 1.0, 0.5, 0.0, 3.0])
    layout = learn_layout(X, weights, "from_dtype")
    assert list(layout.categorical[0].categories) == ["paris"]  # rome's 2nd row has weight 0
    # unknown (oslo and the rome row of weight 0.5), missing, paris
    (rows,) = layout.code_rows(layout.encode(X), weights)
    np.testing.assert_array_equal(rows, [1.5, 3.0, 3.0])


def test_category_embeddings_are_shrunk_by_their_rows(mixed, fitted_clf):
    """The network scales each code's embedding by n / (n + prior) of its training rows."""
    layout = fitted_clf._layout
    # The plain branch's layer reads the encoded table as it is (the other one
    # reads it after the numeric embedding); both are scaled alike.
    columns = fitted_clf.model_.get_layer("columns_plain")
    for a, b in zip(
        columns.shrinkage, fitted_clf.model_.get_layer("columns").shrinkage, strict=True
    ):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
    prior = skgrn._base._CATEGORY_PRIOR_ROWS
    all_rows = layout.code_rows(layout.encode(mixed), np.ones(len(mixed)))
    for variable, column, rows in zip(columns.shrinkage, layout.categorical, all_rows, strict=True):
        factors = to_numpy(variable)[:, 0]
        expected = rows / (rows + prior)
        np.testing.assert_allclose(factors[: column.n_codes], expected, rtol=1e-6)
        np.testing.assert_array_equal(factors[column.n_codes :], 1.0)
        assert 0 < factors[_FIRST_CODE : column.n_codes].min() < 1
    # What the blocks read for a row is its code's embedding times that factor.
    row = mixed.iloc[:1]
    encoded = layout.encode(row)
    code = int(encoded[0, layout.n_numeric])
    table = to_numpy(columns.embeddings[0].embeddings)
    out = to_numpy(columns(encoded.astype(columns.compute_dtype)))
    factor = to_numpy(columns.shrinkage[0])[code, 0]
    embedded = out[0, layout.n_numeric : layout.n_numeric + table.shape[1]]
    np.testing.assert_allclose(embedded, table[code] * factor, rtol=1e-6)


def test_network_with_embeddings_reloads_in_safe_mode(fitted_clf, mixed, tmp_path):
    """The embedding layer is registered: a saved model_ reloads with safe_mode=True."""
    import keras

    path = tmp_path / "network.keras"
    fitted_clf.model_.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    encoded = fitted_clf._layout.encode(mixed)
    np.testing.assert_array_equal(to_numpy(reloaded(encoded)), to_numpy(fitted_clf.model_(encoded)))


def test_splits_with_other_category_counts_share_the_network_shape(make_reg):
    """Embedding tables are sized by powers of two, so another fold seeing a few
    more categories reuses the traced trainer instead of tracing a new one."""
    from skgrn._engine import get_trainer

    rng = np.random.RandomState(0)
    X = pd.DataFrame({"x": rng.randn(200), "city": [f"c{i % 50}" for i in range(200)]})
    y = X["x"] + rng.randn(200)
    # 40 cities have two rows among the first 90, all 50 among 200.
    first = fit_quietly(make_reg(max_iter=1), X.iloc[:90], y[:90])
    second = fit_quietly(make_reg(max_iter=1), X, y)
    assert (first._layout.cardinalities, second._layout.cardinalities) == ((42,), (52,))
    assert first._spec == second._spec
    assert first._spec.embedding_rows == (64,)
    assert get_trainer(first._spec) is get_trainer(second._spec)


@pytest.mark.parametrize(
    "n_codes, rows", [(3, 8), (8, 8), (9, 16), (64, 64), (65, 128), (3002, 4096)]
)
def test_embedding_rows_round_codes_up_to_a_power_of_two(n_codes, rows):
    assert embedding_rows(n_codes) == rows


@pytest.mark.parametrize("n_rows, width", [(8, 5), (32, 11), (64, 16), (4096, 16)])
def test_embedding_width_follows_the_fastai_rule_capped_at_16(n_rows, width):
    assert embedding_dim(n_rows) == width


def test_a_few_rows_encode_bit_for_bit_as_the_general_path():
    """The few-rows path (a service scoring one record) against the general one,
    on every kind of column, unknown and missing categories, target means."""
    frame = make_mixed_frame(400, seed=3)
    targets = np.random.RandomState(4).randn(400, 1)
    layout = learn_layout(as_table(frame), np.ones(400), "from_dtype", targets=targets)
    assert layout.target_means  # the repeating "count" and "age" columns
    later = make_mixed_frame(200, seed=5)
    later.loc[3, "colour"] = "ultraviolet"  # unknown at fit
    later["shop"] = later["shop"].astype(object).where(later.index != 7, "shop99")
    later["shop"] = later["shop"].astype(pd.ArrowDtype(pa.string()))
    general = layout.encode(later)  # more than FEW_ROWS rows
    assert len(later) > FEW_ROWS
    used = 0
    for rows in ([0], [3], [7], [1, 2, 3, 4, 5], list(range(10, 10 + FEW_ROWS))):
        few = later.iloc[rows]
        used += layout._encode_few_rows(few) is not None
        np.testing.assert_array_equal(layout.encode(few), general[rows])
    assert used >= 1  # rows without pd.NA in "age" take the few-rows path
    # Infinity is refused as on the general path, naming the column.
    with pytest.raises(ValueError, match="height"):
        layout.encode(later.iloc[[0]].assign(height=np.inf))


# -- date columns ---------------------------------------------------------------------
def make_dated_frame(n_rows, seed):
    """A naive datetime column over two years, with missing values; an aware one of
    dates at local midnight in one year; a timedelta column, with missing values;
    and a numeric one."""
    rng = np.random.RandomState(seed)
    when = pd.Series(
        pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.randint(0, 2 * 365 * 24, n_rows), "h")
    )
    when[rng.rand(n_rows) < 0.1] = pd.NaT
    # Local midnights, at 22:00 or 23:00 UTC (summer time).
    zoned = pd.Series(
        pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.randint(0, 365, n_rows), "D")
    )
    zoned = zoned.dt.tz_localize("Europe/Paris")
    wait = pd.Series(pd.to_timedelta(rng.exponential(30, n_rows), "min"))
    wait[rng.rand(n_rows) < 0.1] = pd.NaT
    return pd.DataFrame({"when": when, "zoned": zoned, "wait": wait, "x": rng.randn(n_rows)})


def dated_target(frame):
    """Later in the day, at weekends and after a longer wait: more."""
    when = frame["when"]
    return (
        (when.dt.hour / 12).fillna(1).to_numpy()
        + (when.dt.day_of_week >= 5).to_numpy()
        + np.log1p(frame["wait"].dt.total_seconds().fillna(60).to_numpy())
        + 0.1 * frame["x"].to_numpy()
    )


DATED_FEATURES = {
    "when": ("days since 1970", "year", "month", "day", "weekday", "day of year", "hour"),
    # Local midnights of one year: neither the year nor the (local) hour varies.
    "zoned": ("days since 1970", "month", "day", "weekday", "day of year"),
    "wait": ("seconds",),
}


@pytest.fixture(scope="module")
def dated():
    return make_dated_frame(N_ROWS, seed=0)


@pytest.fixture(scope="module")
def dated_layout(dated):
    return learn_layout(as_table(dated), np.ones(len(dated)), "from_dtype", n_bins=8)


def test_date_columns_become_the_numeric_features_that_vary(dated_layout):
    layout = dated_layout
    assert layout.kinds == ["datetime", "datetime", "timedelta", "numeric"]
    assert {date.label: date.features for date in layout.dates} == {
        f"column {name!r}": features for name, features in DATED_FEATURES.items()
    }
    assert [date.timezone for date in layout.dates] == [None, "Europe/Paris", None]
    assert [column.label for column in layout.numeric] == [
        f"column {name!r} ({feature})"
        for name, features in DATED_FEATURES.items()
        for feature in features
    ] + ["column 'x'"]
    # Each feature is a numeric column of its own: scaled, binned, one variable each.
    assert all(len(column.bin_edges) >= 2 for column in layout.numeric)
    assert layout.variable_positions.tolist() == [0] * 7 + [1] * 5 + [2, 3]


def test_missing_dates_are_missing_numbers(dated, dated_layout):
    """NaT: the median of each of the column's features, plus its indicator."""
    layout = dated_layout
    encoded = layout.encode(dated)
    first_indicator = len(layout.numeric) + layout.n_target_columns
    for name, first, width in [("when", 0, 7), ("wait", 12, 1)]:
        missing = dated[name].isna().to_numpy()
        assert missing.any()
        for feature in range(first, first + width):
            assert layout.numeric[feature].has_indicator
            indicator = first_indicator + layout.indicator_columns.index(feature)
            np.testing.assert_array_equal(encoded[:, indicator], missing)
            np.testing.assert_array_equal(encoded[missing, feature], 0.0)
            assert (encoded[~missing, feature] != 0).any()
    assert layout.n_indicators == 8  # "when" and "wait": none for "zoned" or "x"


def test_date_features_are_elapsed_days_and_calendar_parts():
    # A Sunday, the 73rd day of 2021.
    naive = pd.Series(pd.to_datetime(["2021-03-14 15:30:00", None]))
    features = ("days since 1970", "year", "month", "day", "weekday", "day of year", "hour")
    days = (pd.Timestamp("2021-03-14 15:30") - pd.Timestamp("1970-01-01")) / pd.Timedelta("1D")
    np.testing.assert_array_equal(
        date_features(naive, features), [[days, 2021, 3, 14, 6, 73, 15.5], [np.nan] * 7]
    )
    # Aware: elapsed from the UTC instant, parts in the fitted zone (Monday morning in
    # Tokyo), whatever the zone of the values.
    aware = naive.dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    np.testing.assert_array_equal(
        date_features(aware, features, "Asia/Tokyo")[0], [days, 2021, 3, 15, 0, 74, 0.5]
    )
    wait = pd.Series(pd.to_timedelta(["1 day 00:00:30", None]))
    np.testing.assert_array_equal(date_features(wait, ("seconds",)), [[86430.0], [np.nan]])


@pytest.mark.parametrize(
    "dates, features",
    [
        # Dates to the month: no day, so no weekday either (the first days').
        (pd.date_range("2019-01-01", periods=30, freq="MS"), ("year", "month", "day of year")),
        # Hours of one day.
        (pd.date_range("2021-06-01", periods=24, freq="h"), ("hour",)),
        # One date: only its days since 1970, constant.
        (pd.DatetimeIndex(["2021-06-01"] * 10), ()),
    ],
    ids=["months", "hours", "constant"],
)
def test_calendar_parts_are_kept_only_where_they_vary(dates, features):
    frame = pd.DataFrame({"when": dates})
    layout = learn_layout(frame, np.ones(len(frame)), "from_dtype")
    assert layout.dates[0].features == ("days since 1970", *features)


def test_parts_that_vary_only_in_zero_weight_rows_are_dropped():
    frame = pd.DataFrame({"when": pd.date_range("2021-06-01", periods=24, freq="h")})
    weights = np.r_[np.ones(12), np.zeros(12)]
    frame.loc[:11, "when"] = pd.Timestamp("2021-06-01 08:00")
    assert learn_layout(frame, weights, "from_dtype").dates[0].features == ("days since 1970",)


@pytest.mark.parametrize(
    "categorical_features, kind",
    [
        ("from_dtype", "datetime"),
        (None, "datetime"),
        (["x"], "datetime"),
        (["when"], "categorical"),
    ],
)
def test_date_columns_are_dates_unless_declared_categorical(categorical_features, kind):
    frame = pd.DataFrame({"when": pd.date_range("2021-01-01", periods=8, freq="D"), "x": 1.0})
    frame["x"] = frame["x"].astype(str) if categorical_features == ["x"] else frame["x"]
    layout = learn_layout(frame, np.ones(8), categorical_features)
    assert layout.kinds[0] == kind
    assert len(layout.dates) == (kind == "datetime")


def test_a_few_dated_rows_encode_bit_for_bit_as_the_general_path(dated, dated_layout):
    later = make_dated_frame(200, seed=1)
    general = dated_layout.encode(later)
    for rows in ([0], [5, 6], list(range(FEW_ROWS))):
        np.testing.assert_array_equal(dated_layout.encode(later.iloc[rows]), general[rows])
    # Chunks of the general path too.
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(skgrn._tabular, "CHUNK_ROWS", 7)
        np.testing.assert_array_equal(dated_layout.encode(later), general)


def test_target_means_of_date_features():
    """On large tables a repeating date feature (the hour) gets target means like
    any repeating numeric column."""
    frame = make_dated_frame(2000, seed=2)
    targets = dated_target(frame)[:, None]
    layout = learn_layout(as_table(frame), np.ones(2000), "from_dtype", targets=targets)
    labels = {layout.numeric[means.column].label for means in layout.target_means}
    assert {"column 'when' (hour)", "column 'zoned' (day)"} <= labels
    general = layout.encode(frame)
    np.testing.assert_array_equal(layout.encode(frame.iloc[[4]]), general[[4]])
    hour = [
        means for means in layout.target_means if "(hour)" in layout.numeric[means.column].label
    ]
    out = len(layout.numeric) + layout.target_means.index(hour[0])
    late = (frame["when"].dt.hour >= 20).to_numpy()
    early = (frame["when"].dt.hour < 4).to_numpy()
    assert general[late, out].mean() > general[early, out].mean()


@pytest.fixture(scope="module")
def dated_reg(make_reg, dated):
    return fit_quietly(make_reg(max_iter=5, variable_selection=True), dated, dated_target(dated))


def test_dated_frame_fits_and_predicts(make_clf, dated, dated_reg):
    assert np.isfinite(dated_reg.predict(dated)).all()
    assert dated_reg.score(dated, dated_target(dated)) > -1
    # An aware column given in another zone is the same instants.
    moved = dated.assign(zoned=dated["zoned"].dt.tz_convert("Asia/Tokyo"))
    np.testing.assert_array_equal(dated_reg.predict(moved), dated_reg.predict(dated))
    y = np.where(dated_target(dated) > np.median(dated_target(dated)), "high", "low")
    clf = make_clf(max_iter=2, early_stopping=True)
    clf = fit_quietly(clf, dated, y, X_val=dated.iloc[:40], y_val=y[:40])
    assert clf.predict_proba(dated.iloc[:1]).shape == (1, 2)


def test_date_columns_count_once_in_importances_and_selection_weights(dated, dated_reg):
    layout = dated_reg._layout
    importances = dated_reg.feature_importances_
    assert importances.shape == (4,)
    assert importances.sum() == pytest.approx(1.0)
    weights = dated_reg.selection_weights(dated.iloc[:20])
    assert list(weights.columns) == ["when", "zoned", "wait", "x"]
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, rtol=1e-6)
    # A date column's weight is the sum of its features' weights.
    variables = network_selection_weights(dated_reg.model_, layout.encode(dated.iloc[:20]), 64)
    by_column = np.array(
        [variables[:, layout.variable_positions == column].sum(axis=1) for column in range(4)]
    ).T
    np.testing.assert_allclose(
        weights.to_numpy(), by_column / by_column.sum(1, keepdims=True), rtol=1e-5
    )


def test_dated_estimator_round_trips_through_save_and_pickle(dated, dated_reg, tmp_path):
    path = tmp_path / "dated.skgrn"
    skgrn.save(dated_reg, path)
    later = make_dated_frame(30, seed=3)
    for loaded in (skgrn.load(path), pickle.loads(pickle.dumps(dated_reg))):
        assert loaded._layout.dates == dated_reg._layout.dates
        np.testing.assert_array_equal(loaded.predict(later), dated_reg.predict(later))


def test_continued_fits_keep_the_first_date_layout(make_reg, dated):
    reg = make_reg(max_iter=2, warm_start=True)
    fit_quietly(reg, dated, dated_target(dated))
    layout = reg._layout
    # Another year, whose dates alone would give other parts and other scales.
    later = dated.assign(when=dated["when"] + pd.Timedelta(days=3650))
    fit_quietly(reg, later, dated_target(later))
    reg.partial_fit(later, dated_target(later))
    assert reg._layout is layout
    assert np.isfinite(reg.predict(later)).all()
