"""Bad input: a clear error that names the problem, raised before any TensorFlow work,
or, where the input is legitimate, finite outputs. A fitted estimator predicts
exactly as before after any failed call. docs/bad_input.md lists the same table."""

import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from helpers import QUICK_FIT, fit_quietly
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.exceptions import NotFittedError

import skgrn._base
from skgrn import GRNClassifier, GRNRegressor

RNG = np.random.RandomState(0)
X = RNG.randn(60, 4)
Y_REG = X[:, 0] + 0.1 * RNG.randn(60)
Y_CLF = (X[:, 0] > 0).astype(int)
FRAME = pd.DataFrame(X, columns=["a", "b", "c", "d"])
LABELS = pd.Series(np.where(Y_CLF == 1, "yes", "no"))
ROWS = np.arange(60)
# A naive datetime, an aware datetime and a timedelta column beside FRAME's.
DATED = FRAME.assign(
    when=pd.Timestamp("2021-01-01") + pd.to_timedelta(ROWS * 7, "h"),
    zoned=pd.date_range("2021-01-01", periods=60, freq="D", tz="Europe/Paris"),
    wait=pd.to_timedelta(ROWS, "min"),
)
MISSING_Y = r"target y has missing values \(NaN, None or pd.NA\) in 1 of 60 rows"


def with_value(array, value, where=(3, 1)):
    array = np.array(array, dtype=np.result_type(array, type(value)))
    array[where] = value
    return array


def forbid_tensorflow_work(monkeypatch):
    """Fail loudly if a call gets as far as building, training or running a network."""

    def refuse(*args, **kwargs):
        raise AssertionError("TensorFlow work started before the input was refused")

    for name in ("build_network", "get_trainer", "get_forward_pass"):
        monkeypatch.setattr(skgrn._base, name, refuse)


@pytest.fixture
def no_training(monkeypatch):
    forbid_tensorflow_work(monkeypatch)


@pytest.fixture(scope="module")
def regressor():
    return fit_quietly(GRNRegressor(**QUICK_FIT), X, Y_REG)


@pytest.fixture(scope="module")
def dated_regressor():
    return fit_quietly(GRNRegressor(**QUICK_FIT), DATED, Y_REG)


@pytest.fixture(scope="module")
def frame_regressor():
    return fit_quietly(GRNRegressor(**QUICK_FIT), FRAME, Y_REG)


# -- the table: bad input to fit -------------------------------------------------------
BAD_FIT = {
    # name: (estimator class, X, y, fit keyword arguments, error, message pattern)
    "X with inf": (
        GRNRegressor,
        with_value(X, np.inf),
        Y_REG,
        {},
        ValueError,
        "infinity in column 1",
    ),
    "X empty": (GRNRegressor, np.empty((0, 4)), [], {}, ValueError, "0 sample"),
    "X 3-D": (GRNRegressor, X.reshape(60, 2, 2), Y_REG, {}, ValueError, "dim 3"),
    "X complex": (GRNRegressor, X + 1j, Y_REG, {}, ValueError, "Complex data"),
    "X strings in a numeric column": (
        GRNRegressor(categorical_features=None, **QUICK_FIT),
        with_value(X.astype(object), "high"),
        Y_REG,
        {},
        ValueError,
        "[Cc]olumn 1 holds values that are not numbers",
    ),
    "X sparse": (GRNRegressor, sp.csr_matrix(X), Y_REG, {}, TypeError, "toarray"),
    "X a NumPy array of datetimes": (
        GRNRegressor,
        DATED[["when"]].to_numpy(),
        Y_REG,
        {},
        TypeError,
        "NumPy array of dtype datetime64.*pass its dates as a column of a pandas DataFrame",
    ),
    "X dates as Python objects": (
        GRNRegressor,
        FRAME.assign(when=pd.Series(list(DATED["when"].dt.date), dtype=object)),
        Y_REG,
        {},
        TypeError,
        "Column 'when' holds dates or durations as Python objects; convert it with pd.to_datetime",
    ),
    "X a period column": (
        GRNRegressor,
        FRAME.assign(when=DATED["when"].dt.to_period("M")),
        Y_REG,
        {},
        TypeError,
        r"Column 'when' has dtype period\[M\]; convert it with Series.dt.to_timestamp",
    ),
    "X no columns": (GRNRegressor, np.empty((60, 0)), Y_REG, {}, ValueError, "0 feature"),
    "y wrong length": (GRNRegressor, X, Y_REG[:-1], {}, ValueError, "inconsistent numbers"),
    "y NaN": (GRNRegressor, X, with_value(Y_REG, np.nan, 3), {}, ValueError, MISSING_Y),
    "y None among numbers": (GRNRegressor, X, [*Y_REG[:59], None], {}, ValueError, MISSING_Y),
    "y 2-D frame with NaN": (
        GRNRegressor,
        X,
        pd.DataFrame({"u": Y_REG, "v": with_value(Y_REG, np.nan, 7)}),
        {},
        ValueError,
        "in 1 of 60 rows, the first at position 7",
    ),
    "y None among labels": (
        GRNClassifier,
        X,
        LABELS.astype(object).where(ROWS != 5),
        {},
        ValueError,
        MISSING_Y,
    ),
    "y pd.NA in a string column": (
        GRNClassifier,
        X,
        LABELS.astype("string").where(ROWS != 5, pd.NA),
        {},
        ValueError,
        MISSING_Y,
    ),
    "y pd.NA in an Int64 column": (
        GRNClassifier,
        X,
        pd.Series(Y_CLF, dtype="Int64").where(ROWS != 5, pd.NA),
        {},
        ValueError,
        MISSING_Y,
    ),
    "y NaN in a categorical column": (
        GRNClassifier,
        X,
        LABELS.astype("category").where(ROWS != 5),
        {},
        ValueError,
        MISSING_Y,
    ),
    "y inf": (GRNRegressor, X, with_value(Y_REG, np.inf, 3), {}, ValueError, "y contains infinity"),
    "y None": (GRNRegressor, X, None, {}, ValueError, "requires y"),
    "y 3-D": (GRNRegressor, X, np.ones((60, 2, 2)), {}, ValueError, "dim 3"),
    "y whose spread overflows float64": (
        GRNRegressor,
        X,
        np.where(Y_REG > 0, 1e300, -1e300),
        {},
        ValueError,
        "too large to standardise",
    ),
    "y continuous for the classifier": (GRNClassifier, X, Y_REG, {}, ValueError, "continuous"),
    "y a single class": (GRNClassifier, X, np.zeros(60), {}, ValueError, "at least 2 classes"),
    "y multiclass-multioutput": (
        GRNClassifier,
        X,
        np.column_stack([RNG.randint(0, 3, 60), RNG.randint(0, 3, 60)]),
        {},
        ValueError,
        "multiclass-multioutput",
    ),
    "X_val without y_val": (GRNRegressor, X, Y_REG, {"X_val": X}, ValueError, "without y_val"),
    "y_val without X_val": (GRNRegressor, X, Y_REG, {"y_val": Y_REG}, ValueError, "without X_val"),
    "sample_weight_val alone": (
        GRNRegressor,
        X,
        Y_REG,
        {"sample_weight_val": np.ones(60)},
        ValueError,
        "sample_weight_val was given without",
    ),
    "X_val with early_stopping=False": (
        GRNRegressor(early_stopping=False, **QUICK_FIT),
        X,
        Y_REG,
        {"X_val": X, "y_val": Y_REG},
        ValueError,
        "early_stopping=False",
    ),
    "X_val of other columns": (
        GRNRegressor,
        X,
        Y_REG,
        {"X_val": X[:, :3], "y_val": Y_REG},
        ValueError,
        r"validation set \(X_val, y_val\) is not usable: X has 3 features",
    ),
    "X_val a frame of other names": (
        GRNRegressor,
        FRAME,
        Y_REG,
        {"X_val": FRAME.rename(columns={"a": "z"}), "y_val": Y_REG},
        ValueError,
        "not usable: The feature names should match",
    ),
    "X_val with text in a date column": (
        GRNRegressor(early_stopping=True, **QUICK_FIT),
        DATED,
        Y_REG,
        {"X_val": DATED.assign(when=DATED["when"].astype(str)), "y_val": Y_REG},
        TypeError,
        "not usable: Column 'when' held naive datetimes .* at fit, but now has dtype str",
    ),
    "y_val with a missing value": (
        GRNRegressor,
        X,
        Y_REG,
        {"X_val": X, "y_val": with_value(Y_REG, np.nan, 3)},
        ValueError,
        "target y_val has missing values",
    ),
    "y_val of another length": (
        GRNRegressor,
        X,
        Y_REG,
        {"X_val": X, "y_val": Y_REG[:-1]},
        ValueError,
        "inconsistent numbers",
    ),
    "y_val with a class y does not have": (
        GRNClassifier,
        X,
        Y_CLF,
        {"X_val": X, "y_val": np.where(Y_CLF == 1, 2, 0)},
        ValueError,
        r"not usable: y contains classes \[2\]",
    ),
    "sample_weight_val all zero": (
        GRNRegressor,
        X,
        Y_REG,
        {"X_val": X, "y_val": Y_REG, "sample_weight_val": np.zeros(60)},
        ValueError,
        "non-zero",
    ),
    "sample_weight negative": (
        GRNRegressor,
        X,
        Y_REG,
        {"sample_weight": -np.ones(60)},
        ValueError,
        "Negative values",
    ),
    "sample_weight NaN": (
        GRNRegressor,
        X,
        Y_REG,
        {"sample_weight": with_value(np.ones(60), np.nan, 3)},
        ValueError,
        "sample_weight contains NaN",
    ),
    "sample_weight wrong length": (
        GRNRegressor,
        X,
        Y_REG,
        {"sample_weight": np.ones(59)},
        ValueError,
        r"\(59,\), expected",
    ),
    "sample_weight all zero": (
        GRNRegressor,
        X,
        Y_REG,
        {"sample_weight": np.zeros(60)},
        ValueError,
        "non-zero",
    ),
}


def make(estimator):
    return estimator(**QUICK_FIT) if isinstance(estimator, type) else estimator


@pytest.mark.parametrize("case", BAD_FIT)
def test_bad_input_to_fit_is_refused_before_training(case, no_training):
    estimator, X_bad, y_bad, kwargs, error, pattern = BAD_FIT[case]
    with pytest.raises(error, match=pattern):
        make(estimator).fit(X_bad, y_bad, **kwargs)


@pytest.mark.parametrize("case", BAD_FIT)
def test_a_failed_refit_leaves_the_fitted_estimator_as_it_was(case):
    estimator, X_bad, y_bad, kwargs, error, _ = BAD_FIT[case]
    estimator = make(estimator)
    y_good = Y_CLF if isinstance(estimator, GRNClassifier) else Y_REG
    fit_quietly(estimator, X, y_good)
    before = estimator.predict(X)
    attributes = set(vars(estimator))
    with pytest.raises(error):
        estimator.fit(X_bad, y_bad, **kwargs)
    assert set(vars(estimator)) == attributes
    np.testing.assert_array_equal(estimator.predict(X), before)


def test_unseen_classes_in_partial_fit_are_refused_and_change_nothing(monkeypatch):
    clf = GRNClassifier(**QUICK_FIT).partial_fit(X, Y_CLF, classes=[0, 1])
    before = clf.predict_proba(X)
    with monkeypatch.context() as patched:
        forbid_tensorflow_work(patched)
        with pytest.raises(ValueError, match=r"classes \[2\] not seen"):
            clf.partial_fit(X, Y_CLF + 1)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


# -- legitimate input that must work --------------------------------------------------
LEGITIMATE = {
    "X with NaN (missing values)": (with_value(X, np.nan), X),
    "X one sample": (X[:1], X),
    "X one feature": (X[:, :1], X[:, :1]),
    "X huge magnitudes": (X * 1e30, X * 1e30),
    "X constant columns": (np.ones((60, 4)), X),
    "X duplicate rows": (np.repeat(X[:10], 6, axis=0), X),
}


@pytest.mark.parametrize("case", LEGITIMATE)
@pytest.mark.parametrize("Estimator", [GRNRegressor, GRNClassifier])
def test_legitimate_input_gives_finite_outputs(case, Estimator):
    X_fit, X_predict = LEGITIMATE[case]
    y = Y_REG[: len(X_fit)] if Estimator is GRNRegressor else np.arange(len(X_fit)) % 2
    if Estimator is GRNClassifier and len(X_fit) == 1:
        # One sample is one class: nothing a classifier can learn.
        with pytest.raises(ValueError, match="at least 2 classes"):
            Estimator(**QUICK_FIT).fit(X_fit, y)
        return
    estimator = fit_quietly(Estimator(**QUICK_FIT), X_fit, y)
    outputs = estimator.predict(X_predict)
    assert outputs.shape == (len(X_predict),)
    if Estimator is GRNClassifier:
        probabilities = estimator.predict_proba(X_predict)
        assert probabilities.shape == (len(X_predict), 2)
        assert np.isfinite(probabilities).all()
    else:
        assert np.isfinite(outputs).all()


def test_targets_beyond_float32_range_are_predicted_in_float64():
    X32 = X.astype(np.float32)
    y = 3.4e38 + Y_REG * 1e37  # finite in float64; float32 stops at 3.4028e38
    regressor = fit_quietly(GRNRegressor(**QUICK_FIT), X32, y)
    assert regressor._spec.dtype == "float32"
    predictions = regressor.predict(X32)
    assert predictions.dtype == np.float64 and np.isfinite(predictions).all()


# -- bad input to predict -------------------------------------------------------------
BAD_PREDICT = {
    "1-D X": (X[0], ValueError, "Expected 2D array"),
    "wrong number of features": (
        X[:, :3],
        ValueError,
        "3 features, but GRNRegressor is expecting 4",
    ),
    "X with inf": (with_value(X, -np.inf), ValueError, "infinity in column 1"),
    "X 3-D": (X.reshape(60, 2, 2), ValueError, "dim 3"),
    "X empty": (np.empty((0, 4)), ValueError, "0 sample"),
    "X complex": (X + 1j, ValueError, "Complex data"),
    "X sparse": (sp.csr_matrix(X), TypeError, "toarray"),
}
BAD_FRAMES = {
    "missing column": (FRAME[["a", "b", "c"]], ValueError, "missing:\n- d"),
    "extra column": (FRAME.assign(e=1.0), ValueError, "unseen at fit time:\n- e"),
    "renamed column": (FRAME.rename(columns={"a": "z"}), ValueError, "unseen at fit time:\n- z"),
    "re-typed column": (FRAME.assign(a=FRAME["a"].astype(str)), TypeError, "'a' has dtype"),
    "reordered columns": (FRAME[["b", "a", "c", "d"]], ValueError, "same order"),
}


@pytest.mark.parametrize("case", BAD_PREDICT)
def test_bad_input_to_predict_is_refused(regressor, case, no_training):
    X_bad, error, pattern = BAD_PREDICT[case]
    with pytest.raises(error, match=pattern):
        regressor.predict(X_bad)


@pytest.mark.parametrize("case", BAD_FRAMES)
def test_dataframes_that_differ_from_the_training_one_are_refused(frame_regressor, case):
    X_bad, error, pattern = BAD_FRAMES[case]
    before = frame_regressor.predict(FRAME)
    with pytest.raises(error, match=pattern):
        frame_regressor.predict(X_bad)
    np.testing.assert_array_equal(frame_regressor.predict(FRAME), before)


BAD_DATES = {
    "naive dates given a time zone": (
        DATED.assign(when=DATED["when"].dt.tz_localize("UTC")),
        "Column 'when' held naive datetimes .* now has dtype datetime64\\[.*, UTC\\]",
    ),
    "aware dates given without one": (
        DATED.assign(zoned=DATED["zoned"].dt.tz_localize(None)),
        "Column 'zoned' held time-zone aware datetimes .* now has dtype datetime64",
    ),
    "dates given as text": (
        DATED.assign(when=DATED["when"].astype(str)),
        "Column 'when' held naive datetimes .* now has dtype str",
    ),
    "durations given as numbers": (
        DATED.assign(wait=DATED["wait"].dt.total_seconds()),
        "Column 'wait' held timedeltas .* now has dtype float64.*pd.to_timedelta",
    ),
    "dates in a numeric column": (
        DATED.assign(a=DATED["when"]),
        "Column 'a' has dtype datetime64.*, but held numbers at fit",
    ),
}


@pytest.mark.parametrize("case", BAD_DATES)
def test_date_columns_of_another_kind_are_refused(dated_regressor, case, monkeypatch):
    X_bad, pattern = BAD_DATES[case]
    before = dated_regressor.predict(DATED)
    with monkeypatch.context() as patched:
        forbid_tensorflow_work(patched)
        with pytest.raises(TypeError, match=pattern):
            dated_regressor.predict(X_bad)
    np.testing.assert_array_equal(dated_regressor.predict(DATED), before)


@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_methods_before_fit_raise_not_fitted(method):
    arguments = (X, Y_CLF) if method == "score" else (X,)
    with pytest.raises(NotFittedError, match="not fitted yet"):
        getattr(GRNClassifier(), method)(*arguments)


# -- property-based: anything either works or fails in a documented way ---------------
DOCUMENTED_ERRORS = (ValueError, TypeError)
SPECIAL_VALUES = [0.0, 1.0, -1.0, 1e30, -1e30, np.nan, np.inf]


def values(width=64):
    return st.one_of(
        st.floats(allow_nan=True, allow_infinity=True, width=width),
        st.sampled_from(SPECIAL_VALUES),
    )


@st.composite
def tables(draw):
    n_rows = draw(st.integers(1, 12))
    n_columns = draw(st.integers(1, 4))
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, bool]))
    if dtype is bool:
        elements = st.booleans()
    elif dtype is np.int64:
        elements = st.integers(-(2**40), 2**40)
    else:
        elements = values(32 if dtype is np.float32 else 64)
    X_drawn = draw(hnp.arrays(dtype, (n_rows, n_columns), elements=elements))
    if draw(st.booleans()):  # constant and duplicate rows
        X_drawn = np.repeat(X_drawn[:1], n_rows, axis=0)
    y_drawn = draw(hnp.arrays(np.float64, n_rows, elements=values()))
    return X_drawn, y_drawn


@settings(
    max_examples=60,
    derandomize=True,  # the same examples in every run: CI must not be flaky
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=tables(), classify=st.booleans())
def test_any_input_succeeds_with_finite_outputs_or_raises_a_documented_error(data, classify):
    X_drawn, y_drawn = data
    estimator = GRNClassifier(max_iter=1) if classify else GRNRegressor(max_iter=1)
    y_used = (np.nan_to_num(y_drawn) > 0).astype(int) if classify else y_drawn
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            estimator.fit(X_drawn, y_used)
        except DOCUMENTED_ERRORS:
            event("refused")
            return
        event("fitted")
        outputs = estimator.predict_proba(X_drawn) if classify else estimator.predict(X_drawn)
    n_columns = len(estimator.classes_) if classify else None
    assert outputs.shape == ((len(X_drawn), n_columns) if classify else (len(X_drawn),))
    assert np.isfinite(outputs).all()
