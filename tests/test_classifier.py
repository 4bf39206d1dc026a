"""Behaviour of GRNClassifier: labels, probabilities, class weights, multilabel
targets, partial_fit and warm_start."""

from functools import partial

import numpy as np
import pytest
from helpers import ON_TENSORFLOW, fit_quietly
from sklearn.exceptions import DataConversionWarning

N_SAMPLES = 120


@pytest.fixture(scope="module")
def make_clf(make_clf):
    """conftest's classifier, in batches of 32: four steps an epoch on these 120 rows."""
    return partial(make_clf, batch_size=32)


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).randn(N_SAMPLES, 4)


@pytest.fixture(scope="module")
def y_binary(X):
    return (X[:, 0] + X[:, 1] > 0).astype(int)


@pytest.fixture(scope="module")
def y_multiclass(X):
    # Three separable classes along X[:, 0] + X[:, 1].
    return np.digitize(X[:, 0] + X[:, 1], [-0.7, 0.7])


def _relabel(codes, kind):
    """Integer codes 0..k-1 as labels of ``kind``, in an order that sorts like the codes."""
    if kind == "int":
        return np.array([-5, 3, 7])[codes]
    if kind == "str":
        return np.array(["apple", "banana", "cherry"])[codes]
    if kind == "object":
        return np.array(["apple", "banana", "cherry"], dtype=object)[codes]
    if kind == "bool":
        assert codes.max() <= 1
        return codes.astype(bool)
    raise AssertionError(kind)


LABEL_CASES = [
    ("binary", "int"),
    ("binary", "str"),
    ("binary", "object"),
    ("binary", "bool"),
    ("multiclass", "int"),
    ("multiclass", "str"),
    ("multiclass", "object"),
]


@pytest.fixture(scope="module")
def fitted_by_labels(make_clf, X, y_binary, y_multiclass):
    """One fitted classifier (and its labels) per (problem, label kind)."""
    fitted = {}
    for problem, kind in LABEL_CASES:
        codes = y_binary if problem == "binary" else y_multiclass
        y = _relabel(codes, kind)
        fitted[problem, kind] = (fit_quietly(make_clf(learning_rate_init=0.01), X, y), y)
    return fitted


# -- labels ---------------------------------------------------------------------------
@pytest.mark.parametrize("problem, kind", LABEL_CASES)
def test_classes_are_sorted_unique_labels(fitted_by_labels, problem, kind):
    clf, y = fitted_by_labels[problem, kind]
    expected = np.unique(y)
    assert len(clf.classes_) == (2 if problem == "binary" else 3)
    np.testing.assert_array_equal(clf.classes_, expected)
    assert clf.classes_.dtype.kind == expected.dtype.kind or (
        kind == "object" and clf.classes_.dtype.kind == "U"
    )


@pytest.mark.parametrize("problem, kind", LABEL_CASES)
def test_predict_returns_labels_of_the_same_kind(fitted_by_labels, X, problem, kind):
    clf, y = fitted_by_labels[problem, kind]
    pred = clf.predict(X)
    assert pred.shape == (N_SAMPLES,)
    assert set(pred.tolist()) <= set(y.tolist())
    assert {type(label) for label in pred.tolist()} == {type(label) for label in y.tolist()}
    if kind == "bool":
        assert pred.dtype == bool
    elif kind == "int":
        assert pred.dtype.kind == "i"
    # These problems are easy: the network must actually have learned them.
    assert np.mean(pred == y) > 0.8


# -- probabilities --------------------------------------------------------------------
@pytest.mark.parametrize("problem, kind", LABEL_CASES)
def test_predict_proba_is_a_distribution_consistent_with_predict(
    fitted_by_labels, X, problem, kind
):
    clf, _ = fitted_by_labels[problem, kind]
    proba = clf.predict_proba(X)
    assert proba.shape == (N_SAMPLES, len(clf.classes_))
    assert proba.dtype == np.float64
    assert np.all(proba >= 0) and np.all(proba <= 1)
    np.testing.assert_allclose(
        proba.sum(axis=1), 1.0, rtol=0, atol=1e-12 if ON_TENSORFLOW else 1e-6
    )
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
def test_predict_proba_float32_input_to_float64_model(fitted_by_labels, X, problem):
    clf, _ = fitted_by_labels[problem, "int"]
    proba32 = clf.predict_proba(X.astype(np.float32))
    assert proba32.shape == (N_SAMPLES, len(clf.classes_))
    np.testing.assert_allclose(proba32.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(proba32, clf.predict_proba(X), atol=1e-5)


def test_predict_proba_rows_sum_to_one_for_float32_model(make_clf, X, y_multiclass):
    X32 = X.astype(np.float32)
    clf = fit_quietly(make_clf(), X32, y_multiclass)
    proba = clf.predict_proba(X32)
    assert proba.dtype == np.float32
    assert proba.shape == (N_SAMPLES, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-5)
    np.testing.assert_array_equal(clf.predict(X32), clf.classes_[np.argmax(proba, axis=1)])


@pytest.mark.parametrize("problem", ["binary", "multiclass"])
def test_predict_log_proba_is_log_of_predict_proba(fitted_by_labels, X, problem):
    clf, _ = fitted_by_labels[problem, "str"]
    log_proba = clf.predict_log_proba(X)
    assert log_proba.shape == (N_SAMPLES, len(clf.classes_))
    np.testing.assert_allclose(log_proba, np.log(clf.predict_proba(X)), rtol=1e-12)
    assert np.all(log_proba <= 0)


# -- class weights --------------------------------------------------------------------
@pytest.fixture(scope="module")
def imbalanced():
    """Overlapping classes with about 22% positives."""
    rng = np.random.RandomState(0)
    X = rng.randn(N_SAMPLES, 4)
    y = ((X[:, 0] + 0.8 * rng.randn(N_SAMPLES)) > 1.1).astype(int)
    assert 0.15 < y.mean() < 0.3
    return X, y


def _positive_predictions(make_clf, imbalanced, class_weight):
    """How many rows are predicted positive, and the mean positive probability."""
    X, y = imbalanced
    # A weak penalty, so that the weights, not the prior, decide the boundary.
    clf = fit_quietly(make_clf(max_iter=40, alpha=1e-4, class_weight=class_weight), X, y)
    return int(np.sum(clf.predict(X) == 1)), float(clf.predict_proba(X)[:, 1].mean())


def test_class_weight_changes_the_fit(make_clf, imbalanced):
    n_unweighted, p_unweighted = _positive_predictions(make_clf, imbalanced, None)
    n_balanced, p_balanced = _positive_predictions(make_clf, imbalanced, "balanced")
    n_positive, p_positive = _positive_predictions(make_clf, imbalanced, {0: 1, 1: 10})
    n_negative, p_negative = _positive_predictions(make_clf, imbalanced, {0: 10, 1: 1})
    # About 22% positives: "balanced" weighs them about 3.5 times as much.
    assert n_balanced >= n_unweighted + 5
    assert n_positive > n_balanced
    assert n_negative <= n_unweighted
    assert p_negative < p_unweighted < p_balanced < p_positive


def test_class_weight_dict_with_unknown_label_raises(make_clf, imbalanced):
    X, y = imbalanced
    with pytest.raises(ValueError, match="class_weight"):
        make_clf(class_weight={0: 1, 1: 2, 5: 3}).fit(X, y)


def test_class_weight_dict_with_string_labels(make_clf, X, y_binary):
    y = _relabel(y_binary, "str")
    unweighted = fit_quietly(make_clf(), X, y)
    weighted = fit_quietly(make_clf(class_weight={"banana": 30.0}), X, y)
    assert np.sum(weighted.predict(X) == "banana") > np.sum(unweighted.predict(X) == "banana")
    banana = list(weighted.classes_).index("banana")
    assert (
        weighted.predict_proba(X)[:, banana].mean()
        > unweighted.predict_proba(X)[:, banana].mean() + 0.05
    )


# -- multilabel -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def y_multilabel(X):
    return np.column_stack([X[:, 0] > 0, X[:, 1] > 0, X[:, 0] + X[:, 2] > 0]).astype(int)


@pytest.fixture(scope="module")
def multilabel_clf(make_clf, X, y_multilabel):
    return fit_quietly(make_clf(max_iter=50, learning_rate_init=0.01), X, y_multilabel)


def test_multilabel_predict_is_an_indicator_matrix(multilabel_clf, X, y_multilabel):
    pred = multilabel_clf.predict(X)
    assert pred.shape == (N_SAMPLES, 3)
    assert set(np.unique(pred).tolist()) <= {0, 1}
    np.testing.assert_array_equal(multilabel_clf.classes_, [0, 1, 2])
    assert np.mean(pred == y_multilabel) > 0.9


def test_multilabel_predict_proba_are_independent_probabilities(multilabel_clf, X):
    proba = multilabel_clf.predict_proba(X)
    assert proba.shape == (N_SAMPLES, 3)
    assert np.all((proba >= 0) & (proba <= 1))
    # Independent sigmoids, not a softmax: rows need not sum to 1.
    assert not np.allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(multilabel_clf.predict(X), (proba > 0.5).astype(int))


def test_multilabel_rejects_class_weight(make_clf, X, y_multilabel):
    with pytest.raises(ValueError, match="multilabel"):
        make_clf(class_weight="balanced").fit(X, y_multilabel)


def test_multilabel_partial_fit(make_clf, X, y_multilabel):
    clf = make_clf()
    clf.partial_fit(X, y_multilabel, classes=[0, 1, 2])
    clf.partial_fit(X, y_multilabel)
    assert clf.predict(X).shape == (N_SAMPLES, 3)
    assert clf.predict_proba(X).shape == (N_SAMPLES, 3)


# -- invalid targets ------------------------------------------------------------------
def test_single_class_raises(make_clf, X):
    with pytest.raises(ValueError, match="class"):
        make_clf().fit(X, np.ones(N_SAMPLES, dtype=int))


def test_continuous_target_raises(make_clf, X):
    with pytest.raises(ValueError, match="continuous"):
        make_clf().fit(X, np.random.RandomState(1).randn(N_SAMPLES))


def test_column_vector_y_warns_and_is_raveled(make_clf, X, y_binary):
    y_column = y_binary.astype(np.float64).reshape(-1, 1)
    with pytest.warns(DataConversionWarning):
        clf = fit_quietly(make_clf(), X, y_column)
    np.testing.assert_array_equal(clf.classes_, [0.0, 1.0])
    assert clf.predict(X).shape == (N_SAMPLES,)
    assert clf.predict_proba(X).shape == (N_SAMPLES, 2)


# -- partial_fit ----------------------------------------------------------------------
def test_partial_fit_first_call_requires_classes(make_clf, X, y_multiclass):
    clf = make_clf()
    with pytest.raises(ValueError, match="classes"):
        clf.partial_fit(X, y_multiclass)
    assert not hasattr(clf, "model_")


def test_partial_fit_with_classes_then_single_class_chunks(make_clf, X, y_multiclass):
    clf = make_clf()
    first = y_multiclass == 0
    # The first chunk only holds class 0: `classes` tells the estimator the rest.
    clf.partial_fit(X[first], y_multiclass[first], classes=[0, 1, 2])
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.n_iter_ == 1
    for label in (1, 2):
        rows = y_multiclass == label
        clf.partial_fit(X[rows], y_multiclass[rows])
    assert clf.n_iter_ == 3
    assert clf.predict_proba(X).shape == (N_SAMPLES, 3)


def test_partial_fit_unseen_class_raises(make_clf, X, y_multiclass):
    clf = make_clf()
    clf.partial_fit(X, y_multiclass, classes=[0, 1, 2])
    y_new = y_multiclass.copy()
    y_new[:5] = 3
    with pytest.raises(ValueError, match="not seen"):
        clf.partial_fit(X, y_new)
    assert clf.n_iter_ == 1


@pytest.mark.parametrize("classes", [[0, 1], [0, 1, 5]])
def test_partial_fit_first_call_rejects_labels_outside_classes(make_clf, X, y_multiclass, classes):
    # y holds 0, 1 and 2; 2 is not among `classes`.
    with pytest.raises(ValueError, match="not in classes"):
        make_clf().partial_fit(X, y_multiclass, classes=classes)


# -- warm_start -----------------------------------------------------------------------
def test_warm_start_continues_training(make_clf, X, y_multiclass):
    clf = fit_quietly(make_clf(max_iter=20, warm_start=True), X, y_multiclass)
    assert clf.n_iter_ == 20
    first_losses = list(clf.history_["loss"])
    model = clf.model_
    fit_quietly(clf, X, y_multiclass)
    assert clf.n_iter_ == 40
    assert clf.model_ is model
    assert len(clf.history_["loss"]) == 40
    assert clf.history_["loss"][:20] == first_losses
    # It starts where the first fit stopped, not from a fresh network.
    assert clf.history_["loss"][20] < first_losses[0]
    assert clf.history_["loss"][20] < first_losses[-1] * 1.05


def test_without_warm_start_refit_restarts(make_clf, X, y_multiclass):
    clf = fit_quietly(make_clf(max_iter=20), X, y_multiclass)
    fresh_proba = clf.predict_proba(X)
    fit_quietly(clf, X, y_multiclass)
    assert clf.n_iter_ == 20
    assert len(clf.history_["loss"]) == 20
    # Same random_state, fresh start: the very same network.
    np.testing.assert_array_equal(clf.predict_proba(X), fresh_proba)


def test_warm_start_with_changed_architecture_raises(make_clf, X, y_multiclass):
    clf = fit_quietly(make_clf(max_iter=5, warm_start=True), X, y_multiclass)
    clf.set_params(block_units=9)
    with pytest.raises(ValueError, match="block_units"):
        clf.fit(X, y_multiclass)
    assert clf.n_iter_ == 5


def test_warm_start_with_new_class_raises(make_clf, X, y_multiclass):
    clf = fit_quietly(make_clf(max_iter=5, warm_start=True), X, y_multiclass)
    y_new = y_multiclass.copy()
    y_new[:3] = 7
    with pytest.raises(ValueError, match="not seen"):
        clf.fit(X, y_new)
    # A subset of the known classes is fine.
    rows = y_multiclass != 2
    fit_quietly(clf, X[rows], y_multiclass[rows])
    assert clf.n_iter_ == 10
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
