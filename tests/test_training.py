"""The training loop: early stopping, verbosity, convergence, parameter validation,
reproducibility, and leaving global state alone."""

import random
import subprocess
import sys
import warnings

import keras
import numpy as np
import pandas as pd
import pytest
from helpers import ON_TENSORFLOW, fit_quietly, rtol, subprocess_env, trainer_module
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skgrn import GRNClassifier, GRNRegressor, _network
from skgrn._engine import get_trainer
from skgrn._tabular import aligned_empty, take_rows

if ON_TENSORFLOW:
    import tensorflow as tf

N_SAMPLES = 120


@pytest.fixture(scope="module")
def X():
    return np.random.RandomState(0).randn(N_SAMPLES, 4)


@pytest.fixture(scope="module")
def y(X):
    """Three noisy classes: the network overfits them within a few dozen epochs."""
    noise = 0.7 * np.random.RandomState(1).randn(N_SAMPLES)
    return np.digitize(X[:, 0] + X[:, 1] + noise, [-0.7, 0.7])


# -- early stopping -------------------------------------------------------------------
# The tests need a fit whose best epoch comes before its last: the TINY network of
# make_clf (one plain branch) overfits these few rows soon enough.
EARLY = dict(
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=3,
    tol=0.0,
    learning_rate_init=0.01,
    max_iter=300,
)


@pytest.fixture(scope="module")
def early_stopped(make_clf, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        return make_clf(**EARLY).fit(X, y)


def test_early_stopping_attributes(early_stopped):
    clf = early_stopped
    assert isinstance(clf.best_epoch_, int)
    assert 0 <= clf.best_epoch_ < clf.n_iter_
    history = pd.DataFrame(clf.history_)
    assert len(history) == clf.n_iter_
    assert np.isfinite(history[["loss", "val_loss", "val_score", "objective"]]).all(axis=None)
    # One numbering: best_epoch_ is a row of the history table.
    assert history.loc[clf.best_epoch_, "val_loss"] == clf.best_validation_loss_
    assert clf.best_validation_loss_ == history["val_loss"].min()
    assert isinstance(clf.best_validation_score_, float)
    # Accuracy on 24 validation rows of a learnable 3-class problem.
    assert 0.4 < clf.best_validation_score_ <= 1.0
    # MLP's names: the objective's curve, the validation scores, no best_loss_.
    assert clf.loss_curve_ == clf.history_["objective"]
    assert clf.validation_scores_ == clf.history_["val_score"]
    assert clf.validation_scores_[clf.best_epoch_] == clf.best_validation_score_
    assert clf.best_loss_ is None


def test_early_stopping_stops_after_n_iter_no_change(early_stopped):
    clf = early_stopped
    assert clf.n_iter_ < EARLY["max_iter"]
    # With tol=0, each epoch after the best one counts as an epoch without progress.
    epochs_after_the_best = clf.n_iter_ - 1 - clf.best_epoch_
    assert epochs_after_the_best == EARLY["n_iter_no_change"] + 1


def test_early_stopping_restores_best_weights(make_clf, early_stopped, X, y):
    clf = early_stopped
    assert clf.best_epoch_ < clf.n_iter_ - 1
    # The same fit cut after the best epoch trains exactly the same first epochs; its
    # final network is the one early stopping must have restored.
    cut = fit_quietly(
        make_clf(**{**EARLY, "max_iter": clf.best_epoch_ + 1, "n_iter_no_change": 1000}), X, y
    )
    assert cut.n_iter_ == clf.best_epoch_ + 1 and cut.best_epoch_ == clf.best_epoch_
    assert cut.best_validation_loss_ == clf.best_validation_loss_
    np.testing.assert_array_equal(clf.predict_proba(X), cut.predict_proba(X))
    assert clf.best_validation_score_ == cut.best_validation_score_


# -- early stopping on a validation set of one's own (fit's X_val, y_val) --------------
def test_early_stopping_on_a_given_validation_set(make_clf, X, y):
    rng = np.random.RandomState(5)
    X_val = rng.randn(40, X.shape[1])
    y_val = np.digitize(X_val[:, 0] + X_val[:, 1], [-0.7, 0.7])
    sw_val = rng.uniform(0.5, 2.0, 40)
    params = {**EARLY, "early_stopping": "auto"}  # on for a given set, whatever the rows
    clf = make_clf(**params).fit(X, y, X_val=X_val, y_val=y_val, sample_weight_val=sw_val)
    # Every row of X trains, none is held out.
    assert clf.t_ == clf.n_iter_ * len(X)
    assert clf.n_iter_ < EARLY["max_iter"]
    # The monitored loss and the score are the given set's, with its weights.
    assert clf.best_validation_score_ == clf.score(X_val, y_val, sample_weight=sw_val)
    assert clf.best_validation_loss_ == min(clf.history_["val_loss"])
    unweighted = make_clf(**params).fit(X, y, X_val=X_val, y_val=y_val)
    assert unweighted.history_["val_loss"] != clf.history_["val_loss"]
    # Without a given set, early stopping holds out a share of X instead.
    split = make_clf(**EARLY).fit(X, y)
    assert split.t_ < split.n_iter_ * len(X)


def test_a_given_validation_set_is_routed_through_a_pipeline(make_reg, X):
    """Metadata routing, as HistGradientBoosting takes X_val: the pipeline's steps
    transform X_val when asked to (transform_input)."""
    from sklearn import config_context
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.RandomState(6)
    X_val = rng.randn(30, X.shape[1]) * 100  # far off X's scale unless transformed
    with config_context(enable_metadata_routing=True):
        reg = make_reg(**EARLY).set_fit_request(X_val=True, y_val=True)
        pipe = Pipeline([("scale", StandardScaler()), ("grn", reg)], transform_input=["X_val"])
        pipe.fit(X * 100, X[:, 0], X_val=X_val, y_val=X_val[:, 0] / 100)
    scaled = pipe["scale"].transform(X_val)
    assert reg.best_validation_score_ == pytest.approx(reg.score(scaled, X_val[:, 0] / 100))


def test_early_stopping_regressor_scores_r2(make_reg, X):
    y = X @ np.array([1.0, -2.0, 0.5, 0.0])
    reg = fit_quietly(make_reg(**{**EARLY, "n_iter_no_change": 5}), X, y)
    assert 0 <= reg.best_epoch_ < reg.n_iter_
    assert reg.best_validation_loss_ == min(reg.history_["val_loss"])
    assert 0.5 < reg.best_validation_score_ <= 1.0
    assert reg.validation_scores_[reg.best_epoch_] == reg.best_validation_score_


def test_without_early_stopping_no_validation_attributes(make_clf, X, y):
    clf = fit_quietly(make_clf(max_iter=10), X, y)
    for name in ("best_validation_loss_", "best_validation_score_"):
        assert not hasattr(clf, name)
    assert len(clf.history_["loss"]) == len(clf.history_["val_loss"]) == clf.n_iter_ == 10
    assert np.isnan(clf.history_["val_loss"]).all() and np.isnan(clf.history_["val_score"]).all()
    # The best epoch is the training objective's; MLP's best_loss_ is its lowest value.
    assert clf.validation_scores_ is None
    assert clf.best_loss_ == min(clf.loss_curve_) == min(clf.history_["objective"])
    assert 0 <= clf.best_epoch_ < clf.n_iter_
    assert clf.loss_curve_[clf.best_epoch_] - clf.best_loss_ <= clf.tol


def test_refit_without_early_stopping_drops_validation_attributes(make_clf, X, y):
    clf = fit_quietly(make_clf(**{**EARLY, "max_iter": 5}), X, y)
    assert hasattr(clf, "best_validation_loss_") and clf.validation_scores_ is not None
    fit_quietly(clf.set_params(early_stopping=False), X, y)
    for name in ("best_validation_loss_", "best_validation_score_"):
        assert not hasattr(clf, name)
    assert clf.validation_scores_ is None and clf.best_loss_ is not None
    assert np.isnan(clf.history_["val_loss"]).all()


def test_partial_fit_keeps_no_best_epoch(make_clf, X, y):
    clf = fit_quietly(make_clf(max_iter=3), X, y)
    assert hasattr(clf, "best_epoch_")
    clf.partial_fit(X, y)
    assert not hasattr(clf, "best_epoch_")
    assert len(clf.loss_curve_) == clf.n_iter_ == 4
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_early_stopping_auto_depends_on_the_number_of_rows(make_clf):
    rng = np.random.RandomState(0)
    X_large = rng.randn(2000, 3)
    y_large = (X_large[:, 0] > 0).astype(int)
    large = fit_quietly(make_clf(max_iter=3), X_large, y_large)
    small = fit_quietly(make_clf(max_iter=3), X_large[:1999], y_large[:1999])
    assert large.get_params()["early_stopping"] == "auto"
    assert hasattr(large, "best_validation_loss_") and len(large.history_["val_loss"]) == 3
    assert not hasattr(small, "best_validation_loss_")
    assert np.isnan(small.history_["val_loss"]).all()


def test_without_early_stopping_the_lowest_training_loss_weights_are_kept(make_clf, X, y):
    """The fit ends on the epoch of lowest training loss, not on the last one."""
    # A large, constant learning rate on small batches makes the loss bounce.
    bouncy = dict(learning_rate="constant", learning_rate_init=0.05, batch_size=32)
    clf = fit_quietly(make_clf(max_iter=40, **bouncy), X, y)
    assert clf.best_epoch_ == int(np.argmin(clf.history_["objective"]))
    assert clf.best_epoch_ < clf.n_iter_ - 1
    shorter = fit_quietly(make_clf(max_iter=clf.best_epoch_ + 1, **bouncy), X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), shorter.predict_proba(X))


def test_adaptive_learning_rate_divides_by_five_on_each_plateau(make_clf, X, y):
    # With a huge tol every epoch after the first is a plateau: with n_iter_no_change=4
    # the rate is divided after the 2nd and 4th stalled epochs, and training stops
    # after the 5th stalled epoch, epoch 6.
    clf = fit_quietly(
        make_clf(learning_rate="adaptive", tol=10.0, n_iter_no_change=4, max_iter=50), X, y
    )
    assert clf.n_iter_ == 6
    trainer = get_trainer(clf._spec)
    np.testing.assert_allclose(float(trainer.optimizer.learning_rate), 3e-3 / 25, rtol=1e-6)
    constant = fit_quietly(
        make_clf(learning_rate="constant", tol=10.0, n_iter_no_change=4, max_iter=50), X, y
    )
    assert float(get_trainer(constant._spec).optimizer.learning_rate) == pytest.approx(3e-3)
    # The divided rate trained other epochs; both keep the first, the only best.
    assert clf.history_["objective"][3:] != constant.history_["objective"][3:]
    assert clf.best_epoch_ == constant.best_epoch_ == 0


@pytest.mark.parametrize(
    "n_rows, expected", [(1, 1), (30, 30), (128, 128), (300, 128), (2000, 128), (10**6, 128)]
)
def test_auto_batch_size_is_128_rows_or_all(make_clf, n_rows, expected):
    assert make_clf()._batch_size(n_rows) == expected


# -- verbosity and convergence --------------------------------------------------------
def test_verbose_2_prints_one_line_per_epoch(make_clf, X, y, capsys):
    clf = fit_quietly(make_clf(max_iter=7, verbose=2), X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == clf.n_iter_ == 7
    assert all("loss" in line for line in lines)
    # Epochs are named as the rows of history_.
    assert lines[0].startswith("Epoch 0, loss") and lines[-1].startswith("Epoch 6, loss")


def test_verbose_2_with_early_stopping_reports_validation_loss(make_clf, X, y, capsys):
    clf = fit_quietly(make_clf(**{**EARLY, "max_iter": 4}, verbose=2), X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == clf.n_iter_
    assert all("validation loss" in line for line in lines)


def test_verbose_zero_prints_nothing(make_clf, X, y, capsys):
    fit_quietly(make_clf(max_iter=7, verbose=0), X, y)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_convergence_warning_when_max_iter_is_reached(make_clf, X, y):
    clf = make_clf(max_iter=5)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(5\)"):
        clf.fit(X, y)
    assert clf.n_iter_ == 5


def test_no_convergence_warning_when_training_stalls(make_clf, X, y):
    # With a huge tol no epoch counts as progress: training stops early.
    clf = make_clf(max_iter=50, tol=10.0, n_iter_no_change=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        clf.fit(X, y)
    assert clf.n_iter_ < 50


# -- parameter validation -------------------------------------------------------------
# (parameter, value of a wrong type, value out of range)
BAD_PARAMS = [
    ("n_blocks", "2", 0),
    ("block_units", 8.5, 0),
    ("slow_layers", "one", -1),
    ("slow_units", 2.0, 0),
    ("slow_position", 1, "middle"),
    ("dropout_rate", "0.1", 1.0),
    ("variable_selection", "yes", None),
    ("ensemble_size", 2.0, 0),
    ("alpha", "big", -1e-4),
    ("batch_size", 16.0, 0),
    ("learning_rate_init", [0.1], 0.0),
    ("max_iter", 10.0, 0),
    ("tol", "0", -1.0),
    ("n_iter_no_change", 1.5, 0),
    ("early_stopping", "yes", None),
    ("validation_fraction", "0.1", 1.0),
    ("random_state", "seed", -1),
    ("verbose", "loud", -1),
    ("warm_start", "no", None),
    ("devices", "/gpu:0", None),  # one name, not a list of them
]
BAD_VALUES = [
    (param, value) for param, *values in BAD_PARAMS for value in values if value is not None
]
BAD_VALUES += [
    ("dropout_rate", -0.1),
    ("validation_fraction", 0.0),
    ("batch_size", "big"),
    ("random_state", 2**40),
    ("early_stopping", 2),
    ("early_stopping", "always"),
    ("warm_start", 1.0),
    ("variable_selection", 1),
    ("numeric_embedding", "splines"),
    ("numeric_embedding", True),
    ("target_encoding", "on"),
    ("target_encoding", 1),
    ("learning_rate", "cosine"),
    ("learning_rate", 0.1),
    ("ensemble_size", "many"),
    ("categorical_features", "all"),
    ("categorical_features", 3),
]
CLASSIFIER_BAD_VALUES = [("class_weight", "auto"), ("class_weight", 1.0), ("class_weight", [1, 2])]


def test_bad_params_table_covers_every_parameter():
    names = {param for param, _ in BAD_VALUES}
    assert names == set(GRNRegressor().get_params())
    assert names | {"class_weight"} == set(GRNClassifier().get_params())


@pytest.mark.parametrize(
    "Estimator, param, value",
    [(GRNRegressor, p, v) for p, v in BAD_VALUES]
    + [(GRNClassifier, p, v) for p, v in BAD_VALUES + CLASSIFIER_BAD_VALUES],
    ids=lambda v: repr(v)[:20] if not isinstance(v, type) else v.__name__,
)
def test_invalid_parameter_raises_at_fit_not_init(Estimator, param, value, X, y):
    estimator = Estimator(**{param: value})  # __init__ never validates
    assert estimator.get_params()[param] is value
    with pytest.raises(InvalidParameterError, match=f"'{param}' parameter") as excinfo:
        estimator.fit(X[:20], y[:20])
    assert isinstance(excinfo.value, ValueError)
    assert not hasattr(estimator, "model_")


# -- reproducibility ------------------------------------------------------------------
# Run both here and in a fresh interpreter: minibatches and dropout exercise the
# shuffling and the dropout seeds as well as the initialisation.
REPRODUCIBLE_FIT = """
import warnings
import numpy as np
from skgrn import GRNClassifier

def reproducible_proba(path):
    rng = np.random.RandomState(0)
    X = rng.randn(120, 4)
    y = np.digitize(X[:, 0] + X[:, 1] + 0.7 * rng.randn(120), [-0.7, 0.7])
    clf = GRNClassifier(
        n_blocks=1, block_units=8, slow_layers=1, slow_units=8, dropout_rate=0.2,
        batch_size=32, max_iter=15, random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(X, y)
    proba = clf.predict_proba(X)
    np.save(path, proba)
    return proba
"""


def _reproducible_proba(path):
    namespace = {}
    exec(REPRODUCIBLE_FIT, namespace)
    return namespace["reproducible_proba"](path)


def test_same_random_state_gives_identical_refit(tmp_path):
    first = _reproducible_proba(tmp_path / "a.npy")
    second = _reproducible_proba(tmp_path / "b.npy")
    assert first.dtype == np.float64
    np.testing.assert_array_equal(first, second)


@pytest.mark.slow
def test_same_random_state_gives_identical_fit_in_a_fresh_process(tmp_path):
    here = _reproducible_proba(tmp_path / "here.npy")
    code = REPRODUCIBLE_FIT + "\nimport sys\nreproducible_proba(sys.argv[1])\n"
    result = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "there.npy")],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    np.testing.assert_array_equal(np.load(tmp_path / "there.npy"), here)


def test_random_state_none_gives_different_fits(make_clf, X, y):
    a = fit_quietly(make_clf(max_iter=3, random_state=None), X, y).predict_proba(X)
    b = fit_quietly(make_clf(max_iter=3, random_state=None), X, y).predict_proba(X)
    assert not np.allclose(a, b)


def test_random_state_instance(make_clf, X, y):
    seed = 7
    from_int = fit_quietly(make_clf(max_iter=3, random_state=seed), X, y).predict_proba(X)
    rng = np.random.RandomState(seed)
    clf = make_clf(max_iter=3, random_state=rng)
    first = fit_quietly(clf, X, y).predict_proba(X)
    assert clf.random_state is rng
    np.testing.assert_array_equal(first, from_int)
    # The instance's stream moved on: a refit draws a different network.
    second = fit_quietly(clf, X, y).predict_proba(X)
    assert not np.allclose(first, second)


# -- global state is left alone -------------------------------------------------------
# Each test uses its own architecture, so that building and tracing the network
# happen inside the fit under test, with dropout and minibatches.
def _fit_new_architecture(block_units, X, y, random_state=None):
    clf = GRNClassifier(
        n_blocks=1,
        block_units=block_units,
        slow_layers=1,
        slow_units=4,
        dropout_rate=0.2,
        batch_size=40,
        max_iter=3,
        random_state=random_state,
    )
    fit_quietly(clf, X, y)
    clf.predict_proba(X)


def test_fit_leaves_numpy_global_random_state_alone(X, y):
    before = np.random.get_state()  # noqa: NPY002 - the legacy global state is the point
    _fit_new_architecture(5, X, y, random_state=None)
    _fit_new_architecture(5, X, y, random_state=0)
    after = np.random.get_state()  # noqa: NPY002
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert before[2:] == after[2:]


def test_fit_leaves_python_random_state_alone(X, y):
    random.seed(123)
    before = random.getstate()
    _fit_new_architecture(6, X, y, random_state=None)
    _fit_new_architecture(6, X, y, random_state=0)
    assert random.getstate() == before


def test_fit_leaves_keras_config_alone(X, y):
    before = (
        keras.config.floatx(),
        keras.config.epsilon(),
        keras.config.backend(),
        keras.config.image_data_format(),
    )
    _fit_new_architecture(7, X.astype(np.float64), y)
    _fit_new_architecture(7, X.astype(np.float32), y)
    after = (
        keras.config.floatx(),
        keras.config.epsilon(),
        keras.config.backend(),
        keras.config.image_data_format(),
    )
    assert after == before
    assert keras.config.floatx() == "float32"


@pytest.mark.tensorflow_only
def test_fit_leaves_tf_global_generator_alone(X, y):
    generator = tf.random.get_global_generator()
    before = generator.state.numpy().copy()
    _fit_new_architecture(9, X, y, random_state=None)
    _fit_new_architecture(9, X, y, random_state=0)
    assert tf.random.get_global_generator() is generator
    np.testing.assert_array_equal(generator.state.numpy(), before)


def _op_determinism_enabled():
    check = getattr(tf.config.experimental, "is_op_determinism_enabled", None)
    if check is None:
        from tensorflow.python.framework import config

        check = config.is_op_determinism_enabled
    return check()


@pytest.mark.tensorflow_only
def test_fit_leaves_op_determinism_flag_alone(X, y):
    assert not _op_determinism_enabled()
    _fit_new_architecture(10, X, y, random_state=0)
    assert not _op_determinism_enabled()


@pytest.mark.tensorflow_only
def test_fit_leaves_tf_global_seed_alone(X, y):
    tf.random.set_seed(1)
    _fit_new_architecture(11, X, y, random_state=None)
    _fit_new_architecture(11, X, y, random_state=0)
    after_fit = [tf.random.uniform([3]).numpy() for _ in range(3)]
    tf.random.set_seed(1)
    without_fit = [tf.random.uniform([3]).numpy() for _ in range(3)]
    np.testing.assert_array_equal(after_fit, without_fit)


def test_early_stopping_split_with_zero_weight_part_raises():
    # Only one row has weight, so whichever part of the split it lands in, the
    # other part weighs nothing: training on it would divide by zero.
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.arange(20, dtype=float)
    sample_weight = np.zeros(20)
    sample_weight[0] = 1.0
    regressor = GRNRegressor(early_stopping=True, validation_fraction=0.5, random_state=0)
    with pytest.raises(ValueError, match="zero total sample_weight"):
        regressor.fit(X, y, sample_weight=sample_weight)


# -- memory: the training table is shared with TensorFlow, not copied -------------------
@pytest.mark.tensorflow_only
def test_aligned_arrays_are_shared_with_tensorflow_and_others_copied():
    aligned = aligned_empty((50, 3), "float32")
    aligned[:] = 1.0
    assert aligned.ctypes.data % 64 == 0
    from skgrn._training import _as_tensor

    tensor = _as_tensor(aligned, "float32")
    aligned[0, 0] = 5.0
    assert float(tensor[0, 0]) == 5.0
    # Misaligned, read-only or of another dtype: converted with a copy, never refused.
    misaligned = np.ones(151, np.float32)[1:].reshape(50, 3)
    read_only = np.ones((50, 3), np.float32)
    read_only.setflags(write=False)
    for array in (misaligned, read_only, np.ones((50, 3)), aligned[:, :2]):
        np.testing.assert_array_equal(_as_tensor(array, "float32").numpy(), array)


def test_take_rows_gives_an_aligned_copy():
    array = np.arange(40.0).reshape(10, 4)
    taken = take_rows(array, [3, 0, 9])
    np.testing.assert_array_equal(taken, array[[3, 0, 9]])
    assert taken.ctypes.data % 64 == 0


def test_validation_loss_is_the_same_computed_in_chunks(make_clf, X, y, monkeypatch):
    clf = fit_quietly(make_clf(max_iter=2), X, y)
    trainer = get_trainer(clf._spec)
    trainer.load(clf.model_.get_weights(), None, learning_rate=1e-3, dropout_seed=0)
    data = trainer.tensors(clf._layout.encode(X), np.eye(3)[y], np.ones(len(y)))
    whole, outputs = trainer.evaluate(*data)
    # The outputs are the network's: what predict_proba returns.
    np.testing.assert_allclose(outputs, clf.predict_proba(X), rtol=rtol(1e-5), atol=1e-7)
    monkeypatch.setattr(_network, "MAX_CHUNK_ROWS", 7)
    assert clf._spec.chunk_rows == 7
    chunked, chunked_outputs = trainer.evaluate(*data)
    assert chunked == pytest.approx(whole, rel=rtol(1e-12))
    np.testing.assert_allclose(chunked_outputs, outputs, rtol=rtol(1e-12))


class ScriptedTrainer:
    """A trainer whose epochs report the given objectives: the fit loop's decisions alone."""

    compiled = True

    def __init__(self, objectives):
        self.objectives, self.epoch, self.kept = iter(objectives), -1, []

    def train_epoch(self, *args):
        self.epoch += 1
        objective = next(self.objectives)
        return objective, objective

    def keep(self):
        self.kept.append(self.epoch)

    def kept_weights(self):
        return [self.kept[-1]]

    def optimizer_state(self):
        return []


def test_an_epoch_is_the_best_only_when_it_improves_by_more_than_tol():
    from skgrn._base import _continued_history
    from skgrn._fit_loop import LoopSettings, run_epochs

    settings = LoopSettings(
        n_epochs=20,
        incremental=False,
        tol=0.1,
        n_iter_no_change=2,
        adaptive=False,
        learning_rate=1e-3,
        verbose=0,
        name="scripted",
        batch_size=2,
        penalty_scale=0.0,
    )
    # Epoch 3 improves on epoch 0 by more than tol; 4 to 6 improve by less each.
    trainer = ScriptedTrainer([1.0, 0.95, 0.92, 0.85, 0.84, 0.83, 0.82, 0.1])
    history = _continued_history(None)
    result = run_epochs(
        trainer, (None,) * 3, None, np.arange(4), np.random.RandomState(0), settings, history, 0, 0
    )
    assert trainer.kept == [0, 3]
    assert result.best_epoch == 3 and result.weights == [3]
    # Three epochs after the best (more than n_iter_no_change): converged.
    assert result.converged and result.n_iter == 7 == len(history["objective"])


# -- failed training: divergence and Ctrl-C keep a usable estimator ---------------------
def failing_epochs(monkeypatch, after, failure):
    """Make every training epoch after the first ``after`` of this test fail with ``failure``:
    "nan" poisons the weights and returns a NaN loss, "interrupt" raises KeyboardInterrupt."""
    Trainer = trainer_module().Trainer
    train_epoch = Trainer.train_epoch
    calls = []

    def epoch(trainer, *args):
        calls.append(None)
        if len(calls) <= after:
            return train_epoch(trainer, *args)
        if failure == "interrupt":
            raise KeyboardInterrupt
        train_epoch(trainer, *args)
        for weight in trainer.model.weights:
            weight.assign(np.full(weight.shape, np.nan))
        return float("nan"), float("nan")

    monkeypatch.setattr(Trainer, "train_epoch", epoch)


def test_huge_learning_rate_diverges_with_a_warning_and_keeps_finite_weights():
    X = np.random.RandomState(0).randn(200, 4).astype(np.float32)
    reg = GRNRegressor(learning_rate_init=1e10, random_state=0)
    with pytest.warns(RuntimeWarning, match="diverged in epoch 0 .*weights training started"):
        reg.fit(X, X[:, 0])
    assert reg.n_iter_ == 1 and np.isnan(reg.history_["loss"][-1])
    assert np.isnan(reg.best_loss_) and not hasattr(reg, "best_epoch_")
    assert np.isfinite(reg.predict(X)).all()
    # The weights are the initial ones: the same as a fit that trains for zero epochs would keep.
    reference = GRNRegressor(learning_rate_init=1e-30, max_iter=1, random_state=0)
    fit_quietly(reference, X, X[:, 0])
    for ours, initial in zip(reg.model_.get_weights(), reference.model_.get_weights(), strict=True):
        np.testing.assert_allclose(ours, initial, atol=1e-20)


def test_divergence_mid_training_keeps_the_best_weights_before_it(make_clf, X, y, monkeypatch):
    failing_epochs(monkeypatch, after=5, failure="nan")
    clf = make_clf(max_iter=20)
    with pytest.warns(RuntimeWarning, match="diverged in epoch 5 .*epoch 4, the best"):
        clf.fit(X, y)
    assert clf.n_iter_ == 6
    assert all(np.isfinite(weight).all() for weight in clf.model_.get_weights())
    assert np.isfinite(clf.predict_proba(X)).all()
    monkeypatch.undo()
    unbroken = fit_quietly(make_clf(max_iter=5), X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), unbroken.predict_proba(X))
    # The optimizer's state was dropped with the broken weights: training can go on.
    clf.set_params(warm_start=True, max_iter=3)
    fit_quietly(clf, X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_divergence_in_partial_fit_keeps_the_previous_weights(make_clf, X, y, monkeypatch):
    clf = make_clf()
    clf.partial_fit(X, y, classes=np.unique(y))
    before = clf.predict_proba(X)
    failing_epochs(monkeypatch, after=0, failure="nan")
    with pytest.warns(RuntimeWarning, match="diverged.*weights training started from"):
        clf.partial_fit(X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), before)


def test_keyboard_interrupt_ends_training_with_the_best_weights_so_far(make_clf, X, y, monkeypatch):
    failing_epochs(monkeypatch, after=4, failure="interrupt")
    clf = make_clf(max_iter=20)
    with pytest.warns(UserWarning, match="interrupted .* after 4 epochs.*epoch 3, the best"):
        clf.fit(X, y)
    assert clf.n_iter_ == 4 and len(clf.history_["loss"]) == 4
    monkeypatch.undo()
    unbroken = fit_quietly(make_clf(max_iter=4), X, y)
    np.testing.assert_array_equal(clf.predict_proba(X), unbroken.predict_proba(X))
    assert clf.score(X, y) == unbroken.score(X, y)


CTRL_C_FIT = """
import os, signal, sys, threading, time, warnings
import numpy as np
from skgrn import GRNRegressor

# Ctrl-C raises KeyboardInterrupt here, as in an interactive session, even
# if the parent ignores or blocks SIGINT: both are inherited through exec.
# In two full test runs this fit went on until the timeout, as it does under
# a parent that ignores or blocks SIGINT; which earlier test leaves the
# pytest process so is not known.
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

class EpochLines:
    # Standard output, counting the lines verbose=2 prints once per epoch.
    epochs = 0
    def write(self, text):
        self.epochs += text.count("Epoch ")
    def flush(self):
        pass

X = np.random.RandomState(0).randn(2000, 8)
reg = GRNRegressor(max_iter=100000, n_iter_no_change=100000, early_stopping=False,
                   random_state=0, verbose=2)
def interrupt_after_two_epochs():
    # Ctrl-C, as the terminal delivers it, once two epochs have run: polling
    # rather than a fixed delay, which a slow machine may spend compiling.
    while sys.stdout.epochs < 2:
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGINT)

sys.stdout = EpochLines()
threading.Thread(target=interrupt_after_two_epochs, daemon=True).start()
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    reg.fit(X, X[:, 0])
sys.stdout = sys.__stdout__
print([str(warning.message) for warning in caught])
assert all(len(values) == reg.n_iter_ for values in reg.history_.values())
print(reg.n_iter_, bool(np.isfinite(reg.predict(X)).all()))
"""


@pytest.mark.slow
def test_ctrl_c_during_fit_in_a_fresh_process_leaves_a_fitted_estimator():
    result = subprocess.run(
        [sys.executable, "-c", CTRL_C_FIT],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    messages, outcome = result.stdout.strip().splitlines()[-2:]
    assert "interrupted (KeyboardInterrupt)" in messages
    n_iter, finite = outcome.split()
    assert 2 <= int(n_iter) < 100000 and finite == "True"


def _adam_step(update, optimizer, variables):
    """One step of Keras' Adam or skgrn's on a dense and an embedding's gradient."""
    from skgrn._training import adam_update

    def step(dense, values):
        rows = tf.IndexedSlices(values, tf.constant([0, 2, 0]), tf.constant([4, 2]))
        if update == "keras":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "Gradients do not exist for variables"
                optimizer.apply([dense, rows, None], variables)
        else:
            adam_update(optimizer, [dense, rows, None], variables)

    return step


@pytest.mark.tensorflow_only(reason="the TensorFlow trainer's own Adam update")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_adam_update_is_keras_adam_bit_for_bit(dtype):
    """Four steps, a learning rate changed between them, a dense gradient, an
    embedding's (IndexedSlices with a repeated row) and none (a variable the
    objective does not reach): the same bits as Keras."""
    rng = np.random.RandomState(0)
    start = [rng.randn(5, 3).astype(dtype), rng.randn(4, 2).astype(dtype), np.ones(2, dtype)]
    runs = []
    for update in ("keras", "skgrn"):
        variables = [keras.Variable(value) for value in start]
        optimizer = keras.optimizers.Adam(learning_rate=1e-2)
        optimizer.build(variables)

        step = tf.function(_adam_step(update, optimizer, variables), autograph=False)
        for index in range(4):
            optimizer.learning_rate = 1e-2 / (index + 1)
            step(tf.constant(rng.randn(5, 3), dtype), tf.constant(rng.randn(3, 2), dtype))
        runs.append([*(v.numpy() for v in variables), *(v.numpy() for v in optimizer.variables)])
        rng = np.random.RandomState(0)
        rng.randn(5, 3), rng.randn(4, 2)  # the same gradients for the second run
    for ours, theirs in zip(runs[1], runs[0], strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert not np.array_equal(runs[0][0], start[0])  # the steps moved the weights
    np.testing.assert_array_equal(runs[1][2], start[2])  # and left the unreached one
