"""Should ``variable_selection=True`` be the default, and do its importances find what matters?

Two measurements, each against its baseline in the same run:

1. Accuracy and time on real tables: the estimators' defaults against the same
   estimators with ``variable_selection=True``, on the splits of
   ``benchmarks/tables.py`` (80/20, seeds 0..N-1): test accuracy or R², and
   seconds for fit + predict.
2. Importances on synthetic tables whose informative columns are known (four
   among eight: linear, periodic, categorical, and linear with 20% missing
   values; a regression target and its median split for classification):
   how often the four columns with the largest ``feature_importances_`` are
   the informative ones, against scikit-learn's ``permutation_importance``
   of the same fitted model on held-out rows.

Run it from the repository root::

    python benchmarks/variable_selection.py DATA_DIR
    python benchmarks/variable_selection.py DATA_DIR --write docs/benchmarks.md
"""

import argparse
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish  # noqa: E402
from tables import TABLES, fit_and_score, make_model  # noqa: E402

from skgrn import GRNClassifier, GRNRegressor  # noqa: E402

SECTION = "variable_selection"
CONFIGS = {"default": {}, "selection": {"variable_selection": True}}
INFORMATIVE = {"a", "b", "c", "m"}


def synthetic_table(seed, n_rows=750):
    """Eight columns, four of them informative; returns (X, regression target)."""
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


def accuracy_rows(data_dir, seeds):
    rows = []
    for table in TABLES:
        data = table.load(data_dir)
        if data is None:
            continue
        X, y = data
        scores = {name: [] for name in CONFIGS}
        seconds = {name: [] for name in CONFIGS}
        for seed in seeds:
            train, test = train_test_split(
                np.arange(len(y)),
                test_size=0.2,
                random_state=seed,
                stratify=y if table.task == "classification" else None,
            )
            for name, params in CONFIGS.items():
                model = make_model("grn", table.task, X, seed, params)
                score, elapsed = fit_and_score(
                    model, table.task, X.iloc[train], X.iloc[test], y.iloc[train], y.iloc[test]
                )
                scores[name].append(score)
                seconds[name].append(elapsed)
                print(f"{table.name:<14} seed {seed}  {name:<9}  {score:.4f}  {elapsed:6.2f} s")
        rows.append(
            {
                "table": table.name,
                "development": table.development,
                "default score": np.mean(scores["default"]),
                "selection score": np.mean(scores["selection"]),
                "default s": np.median(seconds["default"]),
                "selection s": np.median(seconds["selection"]),
            }
        )
    frame = pd.DataFrame(rows)
    frame["difference"] = frame["selection score"] - frame["default score"]
    frame["time ratio"] = frame["selection s"] / frame["default s"]
    return frame


def importance_rows(seeds):
    rows = []
    for seed in seeds:
        X, y = synthetic_table(seed)
        for task, target, Estimator in (
            ("regression", y, GRNRegressor),
            ("classification", (y > np.median(y)).astype(int), GRNClassifier),
        ):
            X_train, X_test, y_train, y_test = train_test_split(
                X, target, test_size=0.33, random_state=seed
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est = Estimator(variable_selection=True, random_state=seed).fit(X_train, y_train)
            permutation = permutation_importance(
                est, X_test, y_test, n_repeats=10, random_state=seed
            ).importances_mean
            found = {}
            for method, values in (
                ("selection weights", est.feature_importances_),
                ("permutation", permutation),
            ):
                top = set(pd.Series(values, index=X.columns).nlargest(len(INFORMATIVE)).index)
                found[method] = top == INFORMATIVE
            print(f"synthetic seed {seed}  {task:<14}  {found}")
            rows.append({"seed": seed, "task": task, **found})
    return pd.DataFrame(rows)


def accuracy_table(frame):
    lines = [
        "| table | default score | selection score | difference | default s | selection s "
        "| time ratio |",
        "| :--- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for _, row in frame.iterrows():
        lines.append(
            f"| {row['table']} | {row['default score']:.3f} | {row['selection score']:.3f} "
            f"| {row['difference']:+.3f} | {row['default s']:.2f} | {row['selection s']:.2f} "
            f"| {row['time ratio']:.1f}x |"
        )
    return "\n".join(lines)


def verdict(frame, found):
    development = frame[frame["development"]]
    lines = []
    for label, part in (("development (CSV) tables", development), ("all tables", frame)):
        if part.empty:
            continue
        better = int((part["difference"] > 0.005).sum())
        worse = int((part["difference"] < -0.005).sum())
        ratio = part["selection s"].sum() / part["default s"].sum()
        lines.append(
            f"{label}: variable selection scores higher on {better} and lower on {worse} "
            f"of {len(part)} (by more than 0.005; mean difference "
            f"{part['difference'].mean():+.3f}); total time {ratio:.1f}x the default's."
        )
    for method in ("selection weights", "permutation"):
        lines.append(
            f"Synthetic tables: {method} put the 4 informative columns on top in "
            f"{int(found[method].sum())} of {len(found)} fits."
        )
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("data_dir", nargs="?", type=Path, help="the development CSVs")
    parser.add_argument("--seeds", type=int, default=3, help="splits of each real table")
    parser.add_argument("--synthetic-seeds", type=int, default=5, help="synthetic tables")
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    frame = accuracy_rows(args.data_dir, range(args.seeds))
    found = importance_rows(range(args.synthetic_seeds))
    description = (
        "Estimator defaults against `variable_selection=True` on the splits of "
        "`benchmarks/tables.py` (score: accuracy or R² on the held-out 20%, mean over "
        "seeds; s: median seconds of fit + predict), then which importances find the "
        "informative columns of synthetic tables (see the script's docstring)."
    )
    publish(
        SECTION,
        "Variable selection",
        description,
        [accuracy_table(frame)],
        verdict(frame, found),
        args.write,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
