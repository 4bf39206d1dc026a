"""Make the files of tests/persistence_fixtures/: estimators saved by an older skgrn.

Made with skgrn at commit d94957e, which wrote format version 1 (``skgrn.save``:
the estimator's whole ``__dict__`` as JSON, LabelBinarizer included, and the
network as ``model.keras``) and pickled the whole ``__dict__`` plus
``_model_weights`` and ``_skgrn_version``. tests/test_persistence.py loads
them with today's skgrn and compares the predictions with ``expected.npz``,
which also holds the input table, column by column.

Do not regenerate them with a newer skgrn: they are what an older one wrote.
Run from the repository root, with that commit checked out::

    python tests/persistence_fixtures/make_fixtures.py
"""

import warnings
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning

import skgrn
from skgrn import GRNClassifier, GRNRegressor

HERE = Path(__file__).parent
ROWS = 60
CITIES = ["oslo", "lima", "rome", "pune"]
# Tiny networks: what is checked is that the state and the weights load.
TINY = dict(n_blocks=1, block_units=8, max_iter=2, random_state=0)


def table(columns):
    """The input table from the columns stored in ``expected.npz``."""
    return pd.DataFrame(
        {
            "amount": columns["X_amount"],
            "city": pd.Categorical(columns["X_city"], categories=CITIES),
            "rooms": columns["X_rooms"],
        }
    )


def columns_and_targets():
    rng = np.random.RandomState(0)
    amount = rng.randn(ROWS)
    amount[::7] = np.nan
    columns = {
        "X_amount": amount,
        "X_city": rng.choice(CITIES, ROWS),
        "X_rooms": rng.randint(0, 6, ROWS),
    }
    targets = {
        "classifier": rng.choice(["low", "mid", "high"], ROWS),
        "single": rng.choice(["no", "yes"], ROWS),
        "multilabel": rng.randint(0, 2, (ROWS, 3)),
        "regressor": 3.0 * np.nan_to_num(amount) + columns["X_rooms"] + rng.randn(ROWS),
    }
    return columns, targets


ESTIMATORS = {
    # Several members (MemberHeads), variable selection (VariableDense) and a
    # numeric embedding.
    "classifier": lambda: GRNClassifier(
        ensemble_size=2, variable_selection=True, numeric_embedding="piecewise_linear", **TINY
    ),
    # One member: its heads' kernel is (features, outputs), without a member axis.
    "single": lambda: GRNClassifier(ensemble_size=1, numeric_embedding=None, **TINY),
    "multilabel": lambda: GRNClassifier(ensemble_size=1, numeric_embedding=None, **TINY),
    # Target means and early stopping's attributes.
    "regressor": lambda: GRNRegressor(
        ensemble_size=2, numeric_embedding=None, early_stopping=True, target_encoding=True, **TINY
    ),
}


def main():
    columns, targets = columns_and_targets()
    X = table(columns)
    expected = dict(columns)
    for name, make in ESTIMATORS.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator = make().fit(X, targets[name])
        skgrn.save(estimator, HERE / f"{name}.skgrn")
        joblib.dump(estimator, HERE / f"{name}.joblib", compress=3)
        expected[f"{name}_predict"] = estimator.predict(X)
        if isinstance(estimator, GRNClassifier):
            expected[f"{name}_proba"] = estimator.predict_proba(X)
    np.savez_compressed(HERE / "expected.npz", **expected)


if __name__ == "__main__":
    main()
