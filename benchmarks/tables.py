"""How does the GRN do on real tables against the usual scikit-learn baselines?

For each table and seed the rows are split 80/20 (stratified for classification),
and every model is fitted on the training part and scored on the test part:
accuracy for classification, R² for regression. The models are

* ``grn``: GRNClassifier / GRNRegressor on the raw DataFrame, as ``pd.read_csv`` gives it;
* ``hgb``: HistGradientBoosting with native categorical support;
* ``mlp``: one-hot + standardised inputs into MLPClassifier / MLPRegressor (defaults);
* ``linear``: the same inputs into LogisticRegression / RidgeCV.

The tables are the development CSVs in DATA_DIR (see its README.md) and the
sets bundled with scikit-learn; without DATA_DIR only the bundled sets run.
Progress goes to stdout line by line, then a markdown table and a summary.

Run it from the repository root::

    python benchmarks/tables.py DATA_DIR
    python benchmarks/tables.py DATA_DIR --seeds 1 --models hgb mlp linear
    python benchmarks/tables.py --tables wine digits --grn-params '{"max_iter": 50}'
    python benchmarks/tables.py DATA_DIR --write docs/benchmarks.md

``--write`` replaces the section between ``<!-- tables:start -->`` and
``<!-- tables:end -->`` of that markdown file and leaves the rest alone.
"""

import argparse
import json
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import bullets, header_blocks, section, write_section  # noqa: E402

from skgrn import GRNClassifier, GRNRegressor  # noqa: E402

CLASSIFICATION = "classification"
REGRESSION = "regression"
MODELS = ("grn", "hgb", "mlp", "linear")
BASELINES = ("hgb", "mlp", "linear")
# HistGradientBoosting accepts at most max_bins (255 by default) categories per feature.
HGB_MAX_CATEGORIES = 255
WITHIN = 0.01
SECTION = "tables"  # of docs/benchmarks.md


@dataclass(frozen=True)
class CsvTable:
    """A development table: a CSV file in DATA_DIR."""

    file: str
    task: str
    target: str
    drop: tuple[str, ...] = ()
    drop_missing_target: bool = False
    development: ClassVar[bool] = True

    @property
    def name(self):
        return Path(self.file).stem

    def load(self, data_dir):
        """Return (X, y) exactly as ``pd.read_csv`` reads them, or None if the file is missing."""
        path = None if data_dir is None else Path(data_dir) / self.file
        if path is None or not path.is_file():
            return None
        frame = pd.read_csv(path)
        if self.drop_missing_target:
            frame = frame[frame[self.target].notna()]
        X = frame.drop(columns=[self.target, *self.drop])
        return X, frame[self.target]


@dataclass(frozen=True)
class BundledTable:
    """A data set shipped with scikit-learn."""

    name: str
    task: str
    loader: Callable  # load_wine and the like
    development: ClassVar[bool] = False

    def load(self, data_dir):
        return self.loader(return_X_y=True, as_frame=True)


TABLES = (
    CsvTable("Default.csv", CLASSIFICATION, "default"),
    CsvTable("Caravan.csv", CLASSIFICATION, "Purchase"),
    CsvTable("OJ.csv", CLASSIFICATION, "Purchase"),
    CsvTable("College.csv", CLASSIFICATION, "Private"),
    CsvTable("Wage.csv", REGRESSION, "wage", drop=("logwage",)),
    CsvTable("Bikeshare.csv", REGRESSION, "bikers", drop=("casual", "registered")),
    CsvTable("Carseats.csv", REGRESSION, "Sales"),
    CsvTable("Credit.csv", REGRESSION, "Balance", drop=("ID",)),
    CsvTable("Hitters.csv", REGRESSION, "Salary", drop_missing_target=True),
    CsvTable("Auto.csv", REGRESSION, "mpg"),
    BundledTable("breast_cancer", CLASSIFICATION, load_breast_cancer),
    BundledTable("wine", CLASSIFICATION, load_wine),
    BundledTable("digits", CLASSIFICATION, load_digits),
    BundledTable("diabetes", REGRESSION, load_diabetes),
)


@dataclass(frozen=True)
class Run:
    """One model fitted and scored on one split of one table."""

    table: str
    seed: int
    model: str
    score: float
    seconds: float


# --- preprocessing for the baselines -------------------------------------------------


def categorical_columns(X):
    """Columns that are not numbers: strings (object or pandas ``str``), categories, booleans."""
    return [col for col in X.columns if is_bool_dtype(X[col]) or not is_numeric_dtype(X[col])]


def hgb_frame(X):
    """Return X with categorical columns as pandas ``category``, for ``from_dtype``.

    HistGradientBoosting refuses a categorical feature with more than max_bins (255)
    categories, so such a column (Auto's ``name``) is ordinal-encoded instead: it
    becomes the number of its value in sorted order (missing stays NaN) and is
    treated as numeric. The categories come from the whole table, which uses no labels.
    Also returns the names of the ordinal-encoded columns.
    """
    X = X.copy()
    ordinal = []
    for col in categorical_columns(X):
        values = X[col].astype("category")
        if len(values.cat.categories) > HGB_MAX_CATEGORIES:
            codes = values.cat.codes
            X[col] = codes.astype(float).where(codes >= 0)
            ordinal.append(f"{col} ({len(values.cat.categories)} values)")
        else:
            X[col] = values
    return X, ordinal


def one_hot_pipeline(X, model):
    """Impute, standardise numeric and one-hot encode categorical columns, then ``model``.

    SimpleImputer(strategy="most_frequent") and OneHotEncoder take string columns with
    NaN as they are, so nothing is cast to str.
    """
    categorical = categorical_columns(X)
    numeric = [col for col in X.columns if col not in categorical]
    preprocess = ColumnTransformer(
        [
            ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                categorical,
            ),
        ]
    )
    return make_pipeline(preprocess, model)


def make_model(name, task, X, seed, grn_params):
    classification = task == CLASSIFICATION
    if name == "grn":
        estimator = GRNClassifier if classification else GRNRegressor
        return estimator(random_state=seed, **grn_params)
    if name == "hgb":
        estimator = (
            HistGradientBoostingClassifier if classification else HistGradientBoostingRegressor
        )
        return estimator(categorical_features="from_dtype", random_state=seed)
    if name == "mlp":
        if classification:
            return one_hot_pipeline(X, MLPClassifier(random_state=seed))
        # GRNRegressor standardises its target internally; give the MLP the same.
        mlp = MLPRegressor(random_state=seed)
        return one_hot_pipeline(X, TransformedTargetRegressor(mlp, transformer=StandardScaler()))
    if name == "linear":
        return one_hot_pipeline(
            X, LogisticRegression(max_iter=1000) if classification else RidgeCV()
        )
    raise ValueError(f"unknown model {name!r}")


# --- running -------------------------------------------------------------------------


def fit_and_score(model, task, X_train, X_test, y_train, y_test):
    """Fit, predict, and return (test score, seconds for fit + predict)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        # MLP and LogisticRegression at their default max_iter often stop short.
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
        predictions = model.predict(X_test)
    seconds = time.perf_counter() - start
    metric = accuracy_score if task == CLASSIFICATION else r2_score
    return metric(y_test, predictions), seconds


def run_table(table, X, y, models, seeds, grn_params):
    """Fit every model on every seed's split of one table; print and return the runs.

    Also returns the columns that ``hgb_frame`` ordinal-encoded.
    """
    inputs = {name: X for name in models}
    ordinal = []
    if "hgb" in models:
        inputs["hgb"], ordinal = hgb_frame(X)
    runs = []
    for seed in seeds:
        # Splitting positions gives the same split as train_test_split(X, y, ...).
        train, test = train_test_split(
            np.arange(len(y)),
            test_size=0.2,
            random_state=seed,
            stratify=y if table.task == CLASSIFICATION else None,
        )
        y_train, y_test = y.iloc[train], y.iloc[test]
        for name in models:
            data = inputs[name]
            model = make_model(name, table.task, data, seed, grn_params)
            score, seconds = fit_and_score(
                model, table.task, data.iloc[train], data.iloc[test], y_train, y_test
            )
            runs.append(Run(table.name, seed, name, score, seconds))
            # Iterative models report n_iter_ (epochs; boosting rounds for hgb).
            final = model.steps[-1][1] if hasattr(model, "steps") else model
            n_iter = getattr(getattr(final, "regressor_", final), "n_iter_", None)
            print(
                f"{table.name:<14} seed {seed}  {name:<6}  score {score:8.4f}  {seconds:8.2f} s"
                + (f"  n_iter {n_iter}" if isinstance(n_iter, int) else ""),
                flush=True,
            )
    return runs, ordinal


# --- reporting -----------------------------------------------------------------------


def summarise(runs, infos, models):
    """One row per table: mean score and median seconds per model, plus comparisons."""
    frame = pd.DataFrame(runs)
    scores = frame.pivot_table(index="table", columns="model", values="score", aggfunc="mean")
    seconds = frame.pivot_table(index="table", columns="model", values="seconds", aggfunc="median")
    baselines = [name for name in BASELINES if name in models]
    rows = []
    for name, info in infos.items():
        row = {"table": name, "rows": info["rows"], "task": info["task"]}
        row["development"] = info["development"]
        for model in models:
            row[f"{model} score"] = scores.loc[name, model]
            row[f"{model} s"] = seconds.loc[name, model]
        if baselines:
            best = scores.loc[name, baselines]
            row["best baseline"] = best.max()
            row["best model"] = best.idxmax()
        if "grn" in models and baselines:
            row["grn − best"] = row["grn score"] - row["best baseline"]
        if "grn" in models and "mlp" in models:
            row["grn ≥ mlp"] = row["grn score"] >= row["mlp score"]
        if "grn" in models and baselines:
            row[f"within {WITHIN}"] = row["grn − best"] >= -WITHIN  # unrounded means
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(summary, models):
    columns = ["table", "rows", "task"]
    for model in models:
        columns += [f"{model} score", f"{model} s"]
    columns += [
        col
        for col in ("best baseline", "grn − best", "grn ≥ mlp", f"within {WITHIN}")
        if col in summary
    ]

    def cell(col, row):
        value = row[col]
        if col == "best baseline":
            return f"{value:.3f} ({row['best model']})"
        if col == "grn − best":
            return f"{value:+.3f}"
        if col.endswith(" score"):
            return f"{value:.3f}"
        if col.endswith(" s"):
            return f"{value:.2f}"
        if isinstance(value, (bool, np.bool_)):
            return "yes" if value else "no"
        return str(value)

    align = [":---" if col in ("table", "task") else "---:" for col in columns]
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join(align) + " |"]
    for _, row in summary.iterrows():
        lines.append("| " + " | ".join(cell(col, row) for col in columns) + " |")
    return "\n".join(lines)


def summary_lines(summary, models):
    """Counts over the development tables (bundled sets in brackets) and total times."""
    dev = summary[summary["development"]]
    bundled = summary[~summary["development"]]

    def count(col, what):
        return (
            f"grn {what} on {int(dev[col].sum())} of {len(dev)} development (CSV) tables "
            f"({int(bundled[col].sum())} of {len(bundled)} scikit-learn bundled sets)."
        )

    lines = []
    if "grn ≥ mlp" in summary:
        lines.append(count("grn ≥ mlp", "≥ mlp"))
    if f"within {WITHIN}" in summary:
        lines.append(count(f"within {WITHIN}", f"within {WITHIN} of the best baseline"))
    if "grn" in models and "mlp" in models:
        for tables, label in ((dev, "the development tables"), (summary, "all tables")):
            if len(tables):
                grn_total, mlp_total = tables["grn s"].sum(), tables["mlp s"].sum()
                lines.append(
                    f"Total fit + predict time over {label} (sum of per-table medians): "
                    f"grn {grn_total:.1f} s, mlp {mlp_total:.1f} s, "
                    f"ratio {grn_total / mlp_total:.2f}×."
                )
    return lines


def notes(ordinal, models):
    lines = [
        "Score: accuracy (classification) or R² (regression) on a held-out 20% of the rows "
        "(stratified for classification), mean over seeds; s: median seconds of fit + predict "
        "over seeds. All models share each seed's split.",
    ]
    if "grn" in models:
        lines.append("grn gets the DataFrame exactly as `pd.read_csv` returns it.")
        if any(name in models for name in BASELINES):
            lines.append(
                f"within {WITHIN}: grn's mean score is at least the best baseline's minus {WITHIN}."
            )
    if "hgb" in models:
        encoded = "; ".join(f"{table}: {', '.join(cols)}" for table, cols in ordinal.items())
        lines.append(
            "hgb: string columns become pandas `category` columns "
            '(`categorical_features="from_dtype"`). HistGradientBoosting accepts at most '
            f"{HGB_MAX_CATEGORIES} categories (max_bins), so a column with more distinct "
            "values is ordinal-encoded instead (its position in sorted order, missing as NaN) "
            f"and treated as numeric: {encoded or 'none in this run'}."
        )
    if "mlp" in models or "linear" in models:
        lines.append(
            "mlp and linear share one preprocessing: numeric columns median-imputed and "
            "standardised, other columns most-frequent-imputed and one-hot encoded."
        )
    if "mlp" in models:
        lines.append(
            "mlp: MLPClassifier / MLPRegressor with scikit-learn's defaults; for regression "
            "its target is standardised (TransformedTargetRegressor with StandardScaler), "
            "as GRNRegressor does internally."
        )
    if "linear" in models:
        lines.append("linear: LogisticRegression(max_iter=1000) or RidgeCV().")
    if "mlp" in models or "linear" in models:
        lines.append("ConvergenceWarnings are silenced.")
    return lines


def report_section(data_dir, grn_params, table, lines, ordinal, models):
    """The markdown section for ``--write``, markers included."""
    blocks = header_blocks("Accuracy on real tables", data_dir)
    if "grn" in models:
        params = json.dumps(grn_params) if grn_params else "{} (estimator defaults)"
        blocks.append(f"GRN parameters: `{params}`")
    blocks.append(table)
    if lines:
        blocks.append(bullets(lines))
    blocks.append("Notes:")
    blocks.append(bullets(notes(ordinal, models)))
    return section(SECTION, blocks)


# --- command line --------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "data_dir", nargs="?", type=Path, help="directory of the development CSVs (optional)"
    )
    parser.add_argument("--seeds", type=int, default=3, help="number of splits: seeds 0..N-1")
    parser.add_argument(
        "--tables", nargs="+", choices=[table.name for table in TABLES], help="default: all"
    )
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument(
        "--grn-params", type=json.loads, default={}, help="JSON dict of GRN constructor overrides"
    )
    parser.add_argument("--write", type=Path, help="markdown file whose tables section to replace")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if not isinstance(args.grn_params, dict):
        parser.error("--grn-params must be a JSON object")
    if "random_state" in args.grn_params:
        parser.error("--grn-params cannot set random_state: each seed sets it")
    if args.data_dir is not None and not args.data_dir.is_dir():
        parser.error(f"{args.data_dir} is not a directory")
    args.models = [name for name in MODELS if name in args.models]
    return args


def main(argv=None):
    args = parse_args(argv)
    selected = [t for t in TABLES if args.tables is None or t.name in args.tables]
    if args.data_dir is None and any(t.development for t in selected):
        print("No DATA_DIR given: running only scikit-learn's bundled sets.", flush=True)
    runs, infos, ordinal = [], {}, {}
    for table in selected:
        loaded = table.load(args.data_dir)
        if loaded is None:
            if args.data_dir is not None:
                print(f"Skipping {table.name}: {table.file} not in {args.data_dir}", flush=True)
            continue
        X, y = loaded
        infos[table.name] = {"rows": len(y), "task": table.task, "development": table.development}
        table_runs, encoded = run_table(
            table, X, y, args.models, range(args.seeds), args.grn_params
        )
        runs += table_runs
        if encoded:
            ordinal[table.name] = encoded
    if not runs:
        sys.exit("No tables to run.")

    summary = summarise(runs, infos, args.models)
    table = markdown_table(summary, args.models)
    lines = summary_lines(summary, args.models)
    print()
    print(table)
    print()
    print("\n".join(lines))
    if args.write is not None:
        text = report_section(args.data_dir, args.grn_params, table, lines, ordinal, args.models)
        write_section(args.write, SECTION, text)
        print(f"\nWrote {args.write}")


if __name__ == "__main__":
    main()
