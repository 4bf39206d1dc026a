"""The ensemble inside each estimator: members that share the GRN blocks."""

import keras
import numpy as np
import pytest
from helpers import ATOL, TINY, fit_quietly, rtol

from skgrn import GRNClassifier, GRNRegressor
from skgrn._losses import ensemble_loss, member_losses
from skgrn._network import MemberAdapter, logits_model, to_numpy
from skgrn.layers import GroupedDense

# Without a numeric embedding, so without the plain branch that "auto" adds below
# 2,000 rows: one branch of ensemble_size members. Without TINY's slow layer too,
# which these tests do not need and which takes time to trace.
SMALL = dict(TINY, slow_layers=0, max_iter=5, random_state=0)


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).randn(60, 4)


@pytest.fixture(scope="module")
def y(X):
    return np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])


def test_ensemble_size_one_is_a_one_member_ensemble(X, y):
    clf = fit_quietly(GRNClassifier(ensemble_size=1, **SMALL), X, y)
    # The same network as any ensemble, with a member axis of one...
    logits = to_numpy(logits_model(clf.model_)(clf._layout.encode(X)))
    assert logits.shape == (len(X), 1, 3)
    probabilities = np.exp(logits[:, 0]) / np.exp(logits[:, 0]).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), probabilities, rtol=1e-6)
    # ...whose only member sees the input as it is: no scale vector to train.
    adapter = clf.model_.get_layer("members")
    assert isinstance(adapter, MemberAdapter) and adapter.weights == []
    assert clf.model_.get_layer("logits").kernel.shape == (1, 8, 3)


def test_ensemble_members_are_averaged(X, y):
    clf = fit_quietly(GRNClassifier(ensemble_size=4, **SMALL), X, y)
    logits = to_numpy(logits_model(clf.model_)(clf._layout.encode(X)))
    assert logits.shape == (len(X), 4, 3)
    members = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), members.mean(axis=1), rtol=1e-6)
    # The members start from different views of the input, so they disagree.
    assert np.ptp(members, axis=1).max() > 1e-3


@pytest.mark.parametrize("ensemble_size", [1, 3])
def test_plain_branch_adds_members_that_read_plain_numbers(X, y, ensemble_size):
    """With numeric_embedding=[embedding, None], a second branch of ensemble_size
    members, with blocks of its own, reads the scaled numbers while the first
    reads their embedding; the prediction averages all members."""
    params = {**SMALL, "numeric_embedding": ["piecewise_linear", None]}
    clf = fit_quietly(GRNClassifier(**{**params, "ensemble_size": ensemble_size}), X, y)
    assert clf._spec.plain_branch and clf._spec.n_members == 2 * ensemble_size
    logits = to_numpy(logits_model(clf.model_)(clf._layout.encode(X)))
    assert logits.shape == (len(X), 2 * ensemble_size, 3)
    members = np.exp(logits) / np.exp(logits).sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(clf.predict_proba(X), members.mean(axis=1), rtol=1e-6)
    # The embedded branch's blocks read 4 numbers per column, the plain one's 1.
    width = X.shape[1] * clf._spec.numeric_units
    assert clf.model_.get_layer("members").scale.shape == (ensemble_size, width)
    assert clf.model_.get_layer("members_plain").scale.shape == (ensemble_size, X.shape[1])
    names = {layer.name for layer in clf.model_.layers}
    assert {"numeric_embedding", "grn_0", "grn_0_plain"} <= names
    assert "numeric_embedding_plain" not in names


def test_member_views_start_as_random_signs(X, y):
    clf = fit_quietly(GRNClassifier(ensemble_size=4, **{**SMALL, "max_iter": 1}), X, y)
    # The first epoch moves the scales only a little from +-1.
    scale = to_numpy(clf.model_.get_layer("members").scale)
    # One scale per column of the input after the numeric embedding.
    assert scale.shape == (4, X.shape[1] * clf._spec.numeric_units)
    np.testing.assert_allclose(np.abs(scale), 1.0, atol=0.1)
    assert (scale > 0).any() and (scale < 0).any()


def _stable_inputs(activation, n_outputs, rng):
    logits = rng.randn(7, 3, n_outputs) * 3
    if activation == "softmax":
        targets = np.eye(n_outputs)[rng.randint(n_outputs, size=7)]
    elif activation == "sigmoid":
        targets = rng.randint(2, size=(7, n_outputs)).astype(float)
    else:
        targets = rng.randn(7, n_outputs)
    return logits, targets


@pytest.mark.parametrize("activation, n_outputs", [("softmax", 3), ("sigmoid", 2), ("linear", 2)])
def test_ensemble_loss_is_the_loss_of_the_averaged_prediction(activation, n_outputs):
    logits, targets = _stable_inputs(activation, n_outputs, np.random.RandomState(0))
    if activation == "softmax":
        p = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
        expected = -(targets * np.log(p.mean(1))).sum(-1)
    elif activation == "sigmoid":
        p = (1 / (1 + np.exp(-logits))).mean(1)
        expected = -(targets * np.log(p) + (1 - targets) * np.log(1 - p)).sum(-1)
    else:
        expected = 0.5 * ((targets - logits.mean(1)) ** 2).mean(-1)
    got = np.asarray(ensemble_loss(activation, targets, logits))
    np.testing.assert_allclose(got, expected, rtol=rtol(1e-10))


@pytest.mark.parametrize("activation, n_outputs", [("softmax", 3), ("sigmoid", 2), ("linear", 2)])
def test_with_one_member_both_losses_agree(activation, n_outputs):
    logits, targets = _stable_inputs(activation, n_outputs, np.random.RandomState(1))
    logits = logits[:, :1]
    np.testing.assert_allclose(
        np.asarray(ensemble_loss(activation, targets, logits)),
        np.asarray(member_losses(activation, targets, logits))[:, 0],
        rtol=rtol(1e-10),
    )


def test_ensemble_loss_is_finite_for_extreme_logits():
    logits = np.array([[[800.0, -800.0], [-800.0, 800.0]]])
    targets = np.array([[1.0, 0.0]])
    assert np.isfinite(np.asarray(ensemble_loss("softmax", targets, logits))).all()
    assert np.isfinite(np.asarray(ensemble_loss("sigmoid", targets, logits))).all()


def test_ensemble_network_reloads_in_safe_mode(X, tmp_path):
    reg = fit_quietly(GRNRegressor(ensemble_size=3, **SMALL), X, X[:, 0])
    path = tmp_path / "ensemble.keras"
    reg.model_.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(to_numpy(reloaded(X)), to_numpy(reg.model_(X)))


def test_warm_start_with_another_ensemble_size_raises(X, y):
    clf = fit_quietly(GRNClassifier(ensemble_size=2, warm_start=True, **SMALL), X, y)
    clf.set_params(ensemble_size=3)
    with pytest.raises(ValueError, match="ensemble_size changed"):
        clf.fit(X, y)


def test_auto_ensemble_size_depends_on_the_number_of_rows():
    from skgrn._base import _AUTO_MEMBERS_LARGE, _AUTO_MEMBERS_SMALL, _LARGE_TABLE_ROWS

    rng = np.random.RandomState(0)
    X_large = rng.randn(_LARGE_TABLE_ROWS, 3)
    params = dict(SMALL, max_iter=1, early_stopping=False)
    small = fit_quietly(GRNRegressor(**params), X_large[:-1], X_large[:-1, 0])
    large = fit_quietly(GRNRegressor(**params), X_large, X_large[:, 0])
    assert small.get_params()["ensemble_size"] == "auto"
    assert small._spec.ensemble_size == _AUTO_MEMBERS_SMALL == 8
    assert large._spec.ensemble_size == _AUTO_MEMBERS_LARGE == 4


def test_auto_n_blocks_depends_on_the_number_of_rows():
    from skgrn._base import _AUTO_BLOCKS_LARGE, _AUTO_BLOCKS_SMALL, _LARGE_TABLE_ROWS

    rng = np.random.RandomState(0)
    X_large = rng.randn(_LARGE_TABLE_ROWS, 3)
    params = {**SMALL, "max_iter": 1, "early_stopping": False}
    del params["n_blocks"]
    small = fit_quietly(GRNRegressor(**params), X_large[:-1], X_large[:-1, 0])
    large = fit_quietly(GRNRegressor(**params), X_large, X_large[:, 0])
    assert small.get_params()["n_blocks"] == "auto"
    assert small._spec.n_blocks == _AUTO_BLOCKS_SMALL == 1
    assert large._spec.n_blocks == _AUTO_BLOCKS_LARGE == 2
    assert [layer.name for layer in large.model_.layers if layer.name.startswith("grn_")] == [
        "grn_0",
        "grn_1",
    ]


def test_auto_ensemble_size_is_chosen_once_for_partial_fit():
    rng = np.random.RandomState(0)
    X = rng.randn(2100, 3)
    reg = GRNRegressor(**SMALL)
    reg.partial_fit(X[:100], X[:100, 0])
    reg.partial_fit(X, X[:, 0])  # a large chunk continues the same 8-member network
    assert reg._spec.ensemble_size == 8
    assert np.isfinite(reg.predict(X)).all()


def test_grouped_dense_is_one_dense_layer_per_group():
    """The layer behind the members' heads and the per-variable layers of the
    variable selection: group g of the output is group g of the input through
    its own kernel and bias."""
    layer = GroupedDense(5, seed=3, activation="elu", dtype="float64")
    inputs = np.random.RandomState(0).randn(7, 3, 4)
    outputs = to_numpy(layer(inputs))
    kernel, bias = to_numpy(layer.kernel), to_numpy(layer.bias)
    assert kernel.shape == (3, 4, 5) and bias.shape == (3, 5)
    for group in range(3):
        linear = inputs[:, group] @ kernel[group] + bias[group]
        expected = np.where(linear > 0, linear, np.expm1(linear))
        np.testing.assert_allclose(outputs[:, group], expected, rtol=rtol(1e-12), atol=ATOL)
    # Glorot-uniform kernels, distinct per group; the config rebuilds the layer.
    assert np.abs(kernel).max() <= np.sqrt(6.0 / (4 + 5))
    assert not np.allclose(kernel[0], kernel[1])
    copy = GroupedDense.from_config(layer.get_config())
    copy.build((None, 3, 4))
    np.testing.assert_array_equal(to_numpy(copy.kernel), kernel)
    assert keras.saving.get_registered_name(GroupedDense) == "skgrn>GroupedDense"
