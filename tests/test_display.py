"""The training history: as a table, and drawn by HistoryDisplay."""

import sys

import numpy as np
import pandas as pd
import pytest
from helpers import fit_quietly
from sklearn.datasets import make_classification
from sklearn.exceptions import NotFittedError
from sklearn.metrics import log_loss

from skgrn import GRNClassifier, GRNRegressor, HistoryDisplay

matplotlib = pytest.importorskip("matplotlib", reason="HistoryDisplay needs matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4)
    return X, X[:, 0] - 2 * X[:, 1] + 0.1 * rng.randn(300)


@pytest.fixture(scope="module")
def early(data):
    return fit_quietly(GRNRegressor(early_stopping=True, max_iter=30, random_state=0), *data)


@pytest.fixture(scope="module")
def plain(data):
    X, y = data
    return fit_quietly(GRNClassifier(max_iter=8, random_state=0), X, y > 0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


@pytest.mark.parametrize("fitted", ["early", "plain"])
def test_history_is_a_table_in_one_call(fitted, request):
    estimator = request.getfixturevalue(fitted)
    table = pd.DataFrame(estimator.history_)
    assert list(table.columns) == ["loss", "val_loss", "val_score", "objective"]
    assert len(table) == estimator.n_iter_
    assert table[["loss", "objective"]].notna().all().all()
    assert table["val_loss"].notna().all() == (fitted == "early")
    assert table["val_score"].notna().all() == (fitted == "early")
    # Row best_epoch_ is the epoch whose weights the estimator kept.
    best = table.loc[estimator.best_epoch_]
    if fitted == "early":
        assert best["val_loss"] == estimator.best_validation_loss_ == table["val_loss"].min()
        assert best["val_score"] == estimator.best_validation_score_
    else:
        assert best["objective"] - table["objective"].min() <= estimator.tol
    # The objective adds the L2 penalty, which the losses leave out.
    assert (table["objective"] > table["loss"]).all()


def test_training_and_validation_losses_measure_the_same_thing():
    """``loss`` is the ensemble's loss on the training rows, as ``val_loss`` is on the
    validation rows: with one full-batch step an epoch, epoch 2's ``loss`` is the log
    loss of what the network predicts after epoch 1."""
    X, y = make_classification(n_samples=90, n_features=5, random_state=0)
    clf = GRNClassifier(batch_size=90, max_iter=1, warm_start=True, alpha=10.0, random_state=0)
    fit_quietly(clf, X, y)
    after_one_epoch = log_loss(y, clf.predict_proba(X))
    fit_quietly(clf, X, y)
    assert clf.history_["loss"][1] == pytest.approx(after_one_epoch, rel=1e-6)
    assert clf.history_["objective"][1] > 2 * clf.history_["loss"][1]


def test_display_draws_both_losses_and_marks_the_best_epoch(early):
    display = HistoryDisplay.from_estimator(early)
    epochs = np.arange(early.n_iter_)  # the rows of pd.DataFrame(history_)
    np.testing.assert_array_equal(display.loss_line_.get_xdata(), epochs)
    np.testing.assert_array_equal(display.loss_line_.get_ydata(), early.history_["loss"])
    np.testing.assert_array_equal(display.val_loss_line_.get_ydata(), early.history_["val_loss"])
    assert display.best_epoch_line_.get_xdata()[0] == early.best_epoch_
    labels = [line.get_label() for line in display.ax_.get_lines()]
    assert labels == ["training loss", "validation loss", f"best epoch ({early.best_epoch_})"]
    assert display.figure_ is display.ax_.figure
    assert display.ax_.get_title() == "GRNRegressor"
    display.figure_.canvas.draw()  # renders


def test_display_without_validation_draws_the_training_loss_only(plain):
    _, ax = plt.subplots()
    display = HistoryDisplay.from_estimator(plain, ax=ax, name="small")
    assert display.ax_ is ax
    assert display.val_loss_line_ is None
    # The kept weights are those of the lowest training objective's epoch.
    assert display.best_epoch_line_.get_xdata()[0] == plain.best_epoch_
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["training loss", f"best epoch ({plain.best_epoch_})"]
    assert ax.get_title() == "small"


def test_display_from_losses():
    display = HistoryDisplay(loss=[3.0, 2.0, 1.5], val_loss=[3.1, 2.5, 2.6], best_epoch=2).plot()
    np.testing.assert_array_equal(display.val_loss_line_.get_ydata(), [3.1, 2.5, 2.6])


def test_display_needs_a_fitted_estimator():
    with pytest.raises(NotFittedError):
        HistoryDisplay.from_estimator(GRNRegressor())


def test_display_without_matplotlib_says_so(early, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        HistoryDisplay.from_estimator(early)
