"""How does the GRN do on real tables against gradient boosting and the usual baselines?

For each table and seed the rows are split 80/20 (stratified for classification),
and every model is fitted on the training part and scored on the test part:
accuracy for classification, R² for regression. The models are

* ``grn``: GRNClassifier / GRNRegressor on the raw DataFrame, as ``pd.read_csv`` gives it;
* ``hgb``: HistGradientBoosting with native categorical support;
* ``lightgbm``: LGBMClassifier / LGBMRegressor (defaults) with native categorical support;
* ``catboost``: CatBoostClassifier / CatBoostRegressor (defaults) with its categorical features;
* ``mlp``: one-hot + standardised inputs into MLPClassifier / MLPRegressor (defaults);
* ``linear``: the same inputs into LogisticRegression / RidgeCV.

lightgbm and catboost come from the ``bench`` extra (``pip install ".[bench]"``); skgrn
never imports them, and the other models run without them.

The tables are the development CSVs in DATA_DIR (the ISLR tables) and DATA_DIR/set2
(see their README.md files), and the sets bundled with scikit-learn; without DATA_DIR
only the bundled sets run. Progress goes to stdout line by line, then markdown tables,
a summary and notes.

Run it from the repository root::

    python benchmarks/tables.py DATA_DIR
    python benchmarks/tables.py DATA_DIR --seeds 1 --models hgb lightgbm catboost mlp linear
    python benchmarks/tables.py --tables wine digits --grn-params '{"max_iter": 50}'
    python benchmarks/tables.py DATA_DIR --skip-tables TrumpVote2016 GSSWages
    python benchmarks/tables.py DATA_DIR --write docs/benchmarks.md

A GRN variant against baselines measured once: save the baselines' runs, then reuse them::

    python benchmarks/tables.py DATA_DIR --models hgb lightgbm catboost mlp linear \\
        --save baselines.csv
    python benchmarks/tables.py DATA_DIR --models grn --grn-params '{"max_iter": 50}' \\
        --reuse baselines.csv

``--save`` writes every run (table, seed, model, score, seconds, n_iter) as CSV.
``--reuse`` takes the runs of models not in ``--models`` from such files, matched by
table and seed; a reused model must have a run for every table and seed of this run.
``--models`` with no model fits nothing and reports the reused runs alone.
``--first-seed K`` runs seeds K..K+N-1, so that a long run can be split (seed 0 today,
``--first-seed 1 --seeds 2`` tomorrow) and joined with ``--reuse``.
benchmarks/runs/ keeps the runs behind docs/benchmarks.md (its README says which),
to reuse rather than refit.

``--write`` replaces the section between ``<!-- tables:start -->`` and
``<!-- tables:end -->`` of that markdown file and leaves the rest alone.
"""

import argparse
import importlib.util
import json
import numbers
import os
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields
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
MODELS = ("grn", "hgb", "lightgbm", "catboost", "mlp", "linear")
BASELINES = MODELS[1:]
GBDTS = ("hgb", "lightgbm", "catboost")
# Models whose package is not a dependency of skgrn but of its "bench" extra.
OPTIONAL_PACKAGES = {"lightgbm": "lightgbm", "catboost": "catboost"}
# HistGradientBoosting accepts at most max_bins (255 by default) categories per feature.
HGB_MAX_CATEGORIES = 255
# The project's targets: grn within WITHIN of the best baseline, never more than BELOW
# under it, and at least as good as the MLP up to MLP_SLACK.
WITHIN = 0.01
BELOW = 0.02
MLP_SLACK = 0.005
SECTION = "tables"  # of docs/benchmarks.md
SET2 = "set2"  # folder of DATA_DIR
# Target transforms, with the bound below which (inclusive) a value has no image.
TRANSFORMS = {"log": (np.log, 0.0), "log1p": (np.log1p, -1.0)}


@dataclass(frozen=True)
class CsvTable:
    """A development table: a CSV file in DATA_DIR, or in its ``folder`` (``set2``).

    ``target_transform`` ("log" or "log1p") is applied to y before splitting, for
    right-skewed targets whose R² would otherwise be decided by a few large values.
    """

    file: str
    task: str
    target: str
    drop: tuple[str, ...] = ()
    drop_missing_target: bool = False
    folder: str = ""
    target_transform: str | None = None
    development: ClassVar[bool] = True

    @property
    def name(self):
        return Path(self.file).stem

    def path(self, data_dir):
        return Path(data_dir) / self.folder / self.file

    def read(self, data_dir):
        """Return (X, y, rows dropped because the target transform is undefined on them),
        X exactly as ``pd.read_csv`` reads it; None if the file is missing."""
        if data_dir is None or not self.path(data_dir).is_file():
            return None
        frame = pd.read_csv(self.path(data_dir))
        if self.drop_missing_target:
            frame = frame[frame[self.target].notna()]
        dropped = 0
        if self.target_transform is not None:
            function, bound = TRANSFORMS[self.target_transform]
            # Dropped, not clipped: a made-up value would change what R² measures.
            defined = frame[self.target] > bound
            dropped = int((~defined).sum())
            frame = frame[defined]
        X = frame.drop(columns=[self.target, *self.drop])
        y = frame[self.target]
        if self.target_transform is not None:
            y = function(y.astype(float))
        return X, y, dropped

    def load(self, data_dir):
        """Return (X, y) as ``read`` does, or None if the file is missing."""
        loaded = self.read(data_dir)
        return None if loaded is None else loaded[:2]


@dataclass(frozen=True)
class BundledTable:
    """A data set shipped with scikit-learn."""

    name: str
    task: str
    loader: Callable  # load_wine and the like
    target_transform: ClassVar[None] = None
    development: ClassVar[bool] = False

    def read(self, data_dir):
        return (*self.load(data_dir), 0)

    def load(self, data_dir):
        return self.loader(return_X_y=True, as_frame=True)


TABLES = (
    # ISLR, in DATA_DIR.
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
    # Set 2, in DATA_DIR/set2: the target is the last column, leaks are already dropped;
    # the transforms are set2/README.md's suggestions ("log optional" means none here).
    CsvTable("TrumpVote2016.csv", CLASSIFICATION, "votetrump", folder=SET2),
    CsvTable("CrashInjurySeverity.csv", CLASSIFICATION, "injSeverity", folder=SET2),
    CsvTable("PortalRodents.csv", CLASSIFICATION, "species_id", folder=SET2),
    CsvTable("EmailSpam.csv", CLASSIFICATION, "spam", folder=SET2),
    CsvTable("HeartAttackMonica.csv", CLASSIFICATION, "outcome", folder=SET2),
    CsvTable("FishingMode.csv", CLASSIFICATION, "mode", folder=SET2),
    CsvTable("ChilePlebiscite.csv", CLASSIFICATION, "vote", folder=SET2),
    CsvTable("BritishElection.csv", CLASSIFICATION, "vote", folder=SET2),
    CsvTable("Spambase7.csv", CLASSIFICATION, "yesno", folder=SET2),
    CsvTable("WifeHealthInsurance.csv", CLASSIFICATION, "whi", folder=SET2),
    CsvTable("BotswanaContraception.csv", CLASSIFICATION, "usemeth", folder=SET2),
    CsvTable("KershawSwing.csv", CLASSIFICATION, "Swing", folder=SET2),
    CsvTable("LendingClubRate.csv", REGRESSION, "interest_rate", folder=SET2),
    CsvTable("GSSWages.csv", REGRESSION, "realrinc", folder=SET2, target_transform="log"),
    CsvTable("BirdStrikeHeight.csv", REGRESSION, "height", folder=SET2, target_transform="log1p"),
    CsvTable("SaratogaHouses.csv", REGRESSION, "price", folder=SET2, target_transform="log"),
    CsvTable("Forbes2000.csv", REGRESSION, "marketvalue", folder=SET2, target_transform="log"),
    CsvTable("ComputerPrices.csv", REGRESSION, "price", folder=SET2),
    CsvTable("FuelEconomy2021.csv", REGRESSION, "comb_mpg", folder=SET2),
    CsvTable("ChemistryALevel.csv", REGRESSION, "score", folder=SET2),
    CsvTable("GSSVocabulary.csv", REGRESSION, "vocab", folder=SET2),
    CsvTable("SpainFoodShare.csv", REGRESSION, "wfood", folder=SET2),
    CsvTable("RestaurantInspections.csv", REGRESSION, "inspection_score", folder=SET2),
    CsvTable("DoctorContacts.csv", REGRESSION, "mdu", folder=SET2, target_transform="log1p"),
    # Bundled with scikit-learn.
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
    n_iter: int | None = None  # epochs or boosting rounds, where the model reports them


# --- preprocessing for the baselines -------------------------------------------------


def categorical_columns(X):
    """Columns that are not numbers: strings (object or pandas ``str``), categories, booleans."""
    return [col for col in X.columns if is_bool_dtype(X[col]) or not is_numeric_dtype(X[col])]


def category_frame(X):
    """Return X with categorical columns as pandas ``category``: what LightGBM (and
    HistGradientBoosting's ``from_dtype``) treat as categorical.

    The categories come from the whole table, which uses no labels, so the training and
    test parts share one coding.
    """
    X = X.copy()
    for col in categorical_columns(X):
        X[col] = X[col].astype("category")
    return X


def hgb_frame(X):
    """Return X as ``category_frame`` does, for ``from_dtype``.

    HistGradientBoosting refuses a categorical feature with more than max_bins (255)
    categories, so such a column (Auto's ``name``) is ordinal-encoded instead: it
    becomes the number of its value in sorted order (missing stays NaN) and is
    treated as numeric. Also returns the names of the ordinal-encoded columns.
    """
    X = category_frame(X)
    ordinal = []
    for col in X.columns:
        if isinstance(X[col].dtype, pd.CategoricalDtype):
            categories = X[col].cat.categories
            if len(categories) > HGB_MAX_CATEGORIES:
                codes = X[col].cat.codes
                X[col] = codes.astype(float).where(codes >= 0)
                ordinal.append(f"{col} ({len(categories)} values)")
    return X, ordinal


def catboost_frame(X):
    """Return X with categorical columns as strings, for CatBoost's ``cat_features``.

    CatBoost takes categorical values as strings or integers only and refuses NaN in
    them, so missing becomes the string "NaN" (a category of its own) and booleans
    "True" / "False". Numeric columns keep their NaN, which CatBoost handles.
    """
    X = X.copy()
    for col in categorical_columns(X):
        values = X[col].astype(object)
        X[col] = values.where(values.notna(), "NaN").map(str)
    return X


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


def model_inputs(X, models):
    """The frame each model is fitted on: built once per table, shared by the seeds."""
    inputs = {name: X for name in models}
    if "hgb" in models:
        inputs["hgb"] = hgb_frame(X)[0]
    if "lightgbm" in models:
        inputs["lightgbm"] = category_frame(X)
    if "catboost" in models:
        inputs["catboost"] = catboost_frame(X)
    return inputs


def missing_packages(models):
    """{model: package} for the optional packages that ``models`` need and that are missing."""
    return {
        name: OPTIONAL_PACKAGES[name]
        for name in models
        if name in OPTIONAL_PACKAGES and importlib.util.find_spec(OPTIONAL_PACKAGES[name]) is None
    }


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
    if name == "lightgbm":
        # Imported here: the bench extra, not a dependency of skgrn.
        import lightgbm

        # Columns of pandas category dtype (category_frame) are categorical features.
        estimator = lightgbm.LGBMClassifier if classification else lightgbm.LGBMRegressor
        return estimator(random_state=seed, verbose=-1)
    if name == "catboost":
        import catboost

        estimator = catboost.CatBoostClassifier if classification else catboost.CatBoostRegressor
        return estimator(
            random_seed=seed,
            verbose=0,
            allow_writing_files=False,
            cat_features=categorical_columns(X) or None,
        )
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
        # CatBoostClassifier predicts a column (n, 1) for multiclass targets.
        predictions = np.ravel(model.predict(X_test))
    seconds = time.perf_counter() - start
    metric = accuracy_score if task == CLASSIFICATION else r2_score
    return metric(y_test, predictions), seconds


def iterations(model):
    """Epochs (grn, mlp), boosting rounds (hgb, lightgbm) or trees (catboost); else None."""
    final = model.steps[-1][1] if hasattr(model, "steps") else model
    final = getattr(final, "regressor_", final)
    n_iter = getattr(final, "n_iter_", None)
    if n_iter is None and hasattr(final, "tree_count_"):
        n_iter = final.tree_count_
    # LogisticRegression's n_iter_ is an array (one per class): not reported.
    return int(n_iter) if isinstance(n_iter, numbers.Integral) else None


def split(table, y, seed):
    """Positions of the training and test rows; the same split as train_test_split(X, y)."""
    return train_test_split(
        np.arange(len(y)),
        test_size=0.2,
        random_state=seed,
        stratify=y if table.task == CLASSIFICATION else None,
    )


def run_table(table, X, y, models, seeds, grn_params):
    """Fit every model on every seed's split of one table; print and return the runs."""
    inputs = model_inputs(X, models)
    runs = []
    for seed in seeds:
        train, test = split(table, y, seed)
        y_train, y_test = y.iloc[train], y.iloc[test]
        for name in models:
            data = inputs[name]
            model = make_model(name, table.task, data, seed, grn_params)
            score, seconds = fit_and_score(
                model, table.task, data.iloc[train], data.iloc[test], y_train, y_test
            )
            n_iter = iterations(model)
            runs.append(Run(table.name, seed, name, score, seconds, n_iter))
            print(
                f"{table.name:<22} seed {seed}  {name:<8}  score {score:8.4f}  {seconds:8.2f} s"
                + ("" if n_iter is None else f"  n_iter {n_iter}"),
                flush=True,
            )
    return runs


# --- saved runs ----------------------------------------------------------------------

RUN_COLUMNS = [field.name for field in fields(Run)]


def save_runs(path, runs):
    pd.DataFrame(runs, columns=RUN_COLUMNS).to_csv(path, index=False)


def reused_runs(paths, models, tables, seeds):
    """The runs of models not in ``models``, from earlier ``--save`` files, for ``tables``
    and ``seeds``.

    A reused model must have exactly one run for every table and seed: a summary over
    a different set of tables, or a run counted twice, would compare unlike things.
    """
    frames = []
    for path in paths:
        frame = pd.read_csv(path)
        if missing := sorted(set(RUN_COLUMNS) - {"n_iter"} - set(frame.columns)):
            sys.exit(f"{path} is not a --save file: no column {', '.join(missing)}")
        # n_iter may be absent (or empty): not every model reports one.
        frames.append(frame.reindex(columns=RUN_COLUMNS).assign(source=Path(path).name))
    frame = pd.concat(frames, ignore_index=True)
    if unknown := sorted(set(frame["model"]) - set(MODELS)):
        sys.exit(f"--reuse: unknown models {', '.join(map(str, unknown))}")
    frame = frame[
        ~frame["model"].isin(models) & frame["table"].isin(tables) & frame["seed"].isin(list(seeds))
    ]
    duplicated = frame.duplicated(["table", "seed", "model"], keep=False)
    if duplicated.any():
        first = frame[duplicated].iloc[0]
        sys.exit(
            f"--reuse: {first['model']} on {first['table']} seed {first['seed']} is in "
            f"more than one run ({', '.join(sorted(set(frame[duplicated]['source'])))})"
        )
    wanted = {(table, seed) for table in tables for seed in seeds}
    runs, sources = [], {}
    for model, part in frame.groupby("model", sort=False):
        if lacking := sorted(wanted - set(zip(part["table"], part["seed"], strict=True))):
            shown = ", ".join(f"{table} seed {seed}" for table, seed in lacking[:5])
            sys.exit(
                f"--reuse: no {model} run for {len(lacking)} table-seed pairs of this run "
                f"({shown}{', …' if len(lacking) > 5 else ''})"
            )
        sources[model] = sorted(set(part["source"]))
        for row in part.itertuples():
            n_iter = None if pd.isna(row.n_iter) else int(row.n_iter)
            runs.append(Run(row.table, int(row.seed), model, row.score, row.seconds, n_iter))
    return runs, sources


# --- reporting -----------------------------------------------------------------------


def summarise(runs, infos, models):
    """One row per table: mean score and median seconds per model, plus comparisons."""
    frame = pd.DataFrame(runs)
    scores = frame.pivot_table(index="table", columns="model", values="score", aggfunc="mean")
    seconds = frame.pivot_table(index="table", columns="model", values="seconds", aggfunc="median")
    baselines = [name for name in BASELINES if name in models]
    gbdts = [name for name in GBDTS if name in models]
    rows = []
    for name, info in infos.items():
        row = {"table": name, "rows": info["rows"], "task": info["task"]}
        row["development"] = info["development"]
        for model in models:
            row[f"{model} score"] = scores.loc[name, model]
            row[f"{model} s"] = seconds.loc[name, model]
        for label, group in (("best baseline", baselines), ("best GBDT", gbdts)):
            if group:
                best = scores.loc[name, group]
                row[label] = best.max()
                row[f"{label} model"] = best.idxmax()
        if "grn" in models and baselines:
            row["grn − best"] = row["grn score"] - row["best baseline"]  # unrounded means
        if "grn" in models and "mlp" in models:
            row["grn − mlp"] = row["grn score"] - row["mlp score"]
        rows.append(row)
    return pd.DataFrame(rows)


def markdown_table(summary, columns, headers=None):
    """A markdown table of ``columns`` of the summary, under ``headers`` (default: the names)."""

    def cell(col, row):
        value = row[col]
        if col in ("best baseline", "best GBDT"):
            return f"{value:.3f} ({row[f'{col} model']})"
        if col.startswith("grn − "):
            return f"{value:+.3f}"
        if col.endswith(" score"):
            return f"{value:.3f}"
        if col.endswith(" s"):
            return f"{value:.2f}"
        return str(value)

    align = [":---" if col in ("table", "task") else "---:" for col in columns]
    lines = [
        "| " + " | ".join(headers or columns) + " |",
        "| " + " | ".join(align) + " |",
    ]
    for _, row in summary.iterrows():
        lines.append("| " + " | ".join(cell(col, row) for col in columns) + " |")
    return "\n".join(lines)


def markdown_tables(summary, models):
    """Scores and comparisons in one table, seconds in another: six models side by side
    with their seconds would be too wide to read."""
    columns = ["table", "rows", "task", *(f"{model} score" for model in models)]
    columns += [
        col for col in ("best baseline", "best GBDT", "grn − best", "grn − mlp") if col in summary
    ]
    headers = [col.removesuffix(" score") for col in columns]
    headers = ["grn − best baseline" if col == "grn − best" else col for col in headers]
    scores = markdown_table(summary, columns, headers)
    times = [f"{model} s" for model in models]
    seconds = markdown_table(summary, ["table", *times], ["table (seconds)", *models])
    return [scores, seconds]


def group_lines(tables, kind, scope, models):
    """The project's targets over one group of tables (``kind``, e.g. "development tables";
    ``scope``, e.g. "the 34 development tables"): mean scores, counts, total times."""
    n = len(tables)
    lines = []
    gbdts = [name for name in GBDTS if name in models]
    if gbdts:
        means = {name: tables[f"{name} score"].mean() for name in ("grn", *gbdts) if name in models}
        best = max(gbdts, key=lambda name: means[name])
        text = ", ".join(f"{name} {mean:.4f}" for name, mean in means.items())
        text += f"; best GBDT {best} {means[best]:.4f}"
        if "grn" in models:
            text += f" (grn − best GBDT {means['grn'] - means[best]:+.4f})"
        lines.append(f"Mean score over {scope}: {text}.")
    if "grn − best" in tables:
        within = int((tables["grn − best"] >= -WITHIN).sum())
        below = tables["grn − best"] < -BELOW
        text = (
            f"grn within {WITHIN} of the best baseline on {within} of {n} {kind}; "
            f"more than {BELOW} below it on {int(below.sum())}"
        )
        if below.any():
            worst = tables.loc[tables["grn − best"].idxmin()]
            text += f" (worst: {worst['table']}, {worst['grn − best']:+.3f})"
        lines.append(text + ".")
    if "grn − mlp" in tables:
        good = int((tables["grn − mlp"] >= -MLP_SLACK).sum())
        lines.append(f"grn ≥ mlp − {MLP_SLACK} on {good} of {n} {kind}.")
    others = [name for name in ("mlp", "catboost") if name in models]
    if "grn" in models and others:
        grn_total = tables["grn s"].sum()
        totals = []
        for name in others:
            total = tables[f"{name} s"].sum()
            totals.append(f"{name} {total:.1f} s (grn / {name} {grn_total / total:.2f}×)")
        lines.append(
            f"Total fit + predict time over {scope} (sum of per-table medians): "
            f"grn {grn_total:.1f} s, " + ", ".join(totals) + "."
        )
    return lines


def summary_lines(summary, models):
    """The targets over the development tables (ISLR and set2), then over all tables."""
    dev = summary[summary["development"]]
    lines = []
    groups = (
        (dev, "development tables", f"the {len(dev)} development tables"),
        (summary, "tables", f"all {len(summary)} tables"),
    )
    for tables, kind, scope in groups:
        if len(tables):
            lines += group_lines(tables, kind, scope, models)
    return lines


def notes(models, ordinal, transformed, sources):
    lines = [
        "Score: accuracy (classification) or R² (regression) on a held-out 20% of the rows "
        "(stratified for classification), mean over seeds; seconds: median seconds of fit + "
        "predict over seeds. All models share each seed's split.",
        "Development tables: the ISLR CSVs in DATA_DIR and the 24 tables of DATA_DIR/set2; "
        "the others are scikit-learn's bundled sets. Mean scores over tables average "
        "accuracies and R²s alike.",
    ]
    if transformed:
        described = "; ".join(
            f"{name}: {how} ({dropped or 'no'} rows dropped)"
            for name, (how, dropped) in transformed.items()
        )
        lines.append(
            "Target transforms, as set2/README.md suggests for skewed targets: y is replaced by "
            "log(y) or log1p(y) before splitting, every model is fitted on the transformed "
            "target, and R² is computed on it (the log scale). Rows where the transform is "
            f"undefined (y ≤ 0 for log, y ≤ −1 for log1p) are dropped, not clipped: {described}."
        )
    if "grn" in models:
        lines.append("grn gets the DataFrame exactly as `pd.read_csv` returns it.")
    if any(name in models for name in BASELINES):
        lines.append(
            f"best baseline: the best of {', '.join(n for n in BASELINES if n in models)} "
            "per table. best GBDT: the best of "
            f"{', '.join(n for n in GBDTS if n in models)} per table; in the summary, the GBDT "
            "with the highest mean score over the tables."
        )
    if "grn" in models and any(name in models for name in BASELINES):
        lines.append(
            f"Targets: grn within {WITHIN} of the best baseline (mean scores, unrounded), never "
            f"more than {BELOW} below it, and at least mlp's score − {MLP_SLACK}."
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
    if "lightgbm" in models:
        lines.append(
            "lightgbm: LGBMClassifier / LGBMRegressor with their defaults (random_state, "
            "verbose=-1); string and boolean columns become pandas `category` columns, their "
            "categories taken from the whole table (no labels), which LightGBM treats as "
            "categorical features, whatever their number of values."
        )
    if "catboost" in models:
        lines.append(
            "catboost: CatBoostClassifier / CatBoostRegressor with their defaults (random_seed, "
            "verbose=0, allow_writing_files=False); string and boolean columns are its "
            '`cat_features`, as strings, missing as the string "NaN" (CatBoost refuses NaN '
            "there); numeric NaN is left to CatBoost."
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
    if sources:
        by_files = {}
        for model, files in sources.items():
            by_files.setdefault(", ".join(f"`{file}`" for file in files), []).append(model)
        reused = "; ".join(f"{', '.join(ms)} from {files}" for files, ms in by_files.items())
        lines.append(
            f"Reused runs: {reused}, earlier `--save` files, matched by table and seed. Their "
            "scores and seconds were measured in those runs, whose machine, load and versions "
            "may differ from this one's; only the other models ran here."
        )
    return lines


def report_section(data_dir, grn_params, tables, lines, note_lines, measured):
    """The markdown section for ``--write``, markers included."""
    blocks = header_blocks("Accuracy on real tables", data_dir)
    if "grn" in measured:
        params = json.dumps(grn_params) if grn_params else "{} (estimator defaults)"
        blocks.append(f"GRN parameters: `{params}`")
    blocks += tables
    if lines:
        blocks.append(bullets(lines))
    blocks.append("Notes:")
    blocks.append(bullets(note_lines))
    return section(SECTION, blocks)


# --- command line --------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument(
        "data_dir", nargs="?", type=Path, help="directory of the development CSVs (optional)"
    )
    parser.add_argument("--seeds", type=int, default=3, help="number of splits: seeds 0..N-1")
    parser.add_argument(
        "--first-seed",
        type=int,
        default=0,
        help="start the seeds here (K..K+N-1), to split a long run; --reuse joins the parts",
    )
    names = [table.name for table in TABLES]
    parser.add_argument("--tables", nargs="+", choices=names, help="default: all")
    parser.add_argument("--skip-tables", nargs="+", choices=names, default=[], help="exclude")
    parser.add_argument(
        "--models",
        nargs="*",
        choices=MODELS,
        default=list(MODELS),
        help="models to fit; none (with --reuse) reports earlier runs only",
    )
    parser.add_argument(
        "--grn-params", type=json.loads, default={}, help="JSON dict of GRN constructor overrides"
    )
    parser.add_argument("--save", type=Path, help="CSV file to write every run to")
    parser.add_argument(
        "--reuse",
        nargs="+",
        type=Path,
        default=[],
        help="--save files whose runs of models not in --models join the summary",
    )
    parser.add_argument("--write", type=Path, help="markdown file whose tables section to replace")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error("--seeds must be at least 1")
    if args.first_seed < 0:
        parser.error("--first-seed must be at least 0")
    if not isinstance(args.grn_params, dict):
        parser.error("--grn-params must be a JSON object")
    if "random_state" in args.grn_params:
        parser.error("--grn-params cannot set random_state: each seed sets it")
    if args.data_dir is not None and not args.data_dir.is_dir():
        parser.error(f"{args.data_dir} is not a directory")
    for path in args.reuse:
        if not path.is_file():
            parser.error(f"--reuse: {path} is not a file")
    args.models = [name for name in MODELS if name in args.models]
    if not args.models and not args.reuse:
        parser.error("--models without models only reports earlier runs: give --reuse")
    if missing := missing_packages(args.models):
        needs = ", ".join(f"{model} needs {package}" for model, package in missing.items())
        parser.error(
            f'{needs}, which is not installed: pip install ".[bench]" (the benchmark\'s extra), '
            "or leave those models out of --models"
        )
    return args


def load_tables(selected, data_dir):
    """Read the selected tables that are there: {table: (X, y, rows dropped)}."""
    if data_dir is None and any(t.development for t in selected):
        print("No DATA_DIR given: running only scikit-learn's bundled sets.", flush=True)
    loaded = {}
    for table in selected:
        data = table.read(data_dir)
        if data is None:
            if data_dir is not None:
                print(f"Skipping {table.name}: {table.path(data_dir)} is missing", flush=True)
            continue
        loaded[table] = data
    return loaded


def main(argv=None):
    args = parse_args(argv)
    selected = [
        t
        for t in TABLES
        if (args.tables is None or t.name in args.tables) and t.name not in args.skip_tables
    ]
    loaded = load_tables(selected, args.data_dir)
    if not loaded:
        sys.exit("No tables to run.")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    reused, sources = [], {}
    if args.reuse:  # before any fitting, so that a missing run stops the script at once
        names = [table.name for table in loaded]
        reused, sources = reused_runs(args.reuse, args.models, names, seeds)
    models = [name for name in MODELS if name in args.models or name in sources]

    runs, infos, ordinal, transformed = [], {}, {}, {}
    for table, (X, y, dropped) in loaded.items():
        infos[table.name] = {"rows": len(y), "task": table.task, "development": table.development}
        if table.target_transform is not None:
            transformed[table.name] = (table.target_transform, dropped)
        # Which columns hgb ordinal-encodes depends on the data only, reused runs or not.
        if "hgb" in models and (encoded := hgb_frame(X)[1]):
            ordinal[table.name] = encoded
        runs += run_table(table, X, y, args.models, seeds, args.grn_params)
    if args.save is not None:
        save_runs(args.save, runs)
        print(f"\nSaved {len(runs)} runs to {args.save}")
    runs += reused

    summary = summarise(runs, infos, models)
    tables = markdown_tables(summary, models)
    lines = summary_lines(summary, models)
    note_lines = notes(models, ordinal, transformed, sources)
    print()
    print("\n\n".join(tables))
    print()
    print("\n".join(lines))
    print()
    print("Notes:")
    print(bullets(note_lines))
    if args.write is not None:
        text = report_section(
            args.data_dir, args.grn_params, tables, lines, note_lines, args.models
        )
        write_section(args.write, SECTION, text)
        print(f"\nWrote {args.write}")


if __name__ == "__main__":
    main()
