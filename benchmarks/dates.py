"""How should a date column reach the network?

Tables whose rows carry a date (and, in the synthetic one, a time of day and a
duration), each fitted with the default GRNClassifier / GRNRegressor in four
versions:

* ``parts``: the date as the table gives it, separate numeric columns (year,
  month, day, hour...): what a user passes without date support;
* ``elapsed``: one datetime column, encoded as its days since 1970 alone;
* ``calendar``: one datetime column, encoded as its days since 1970 and the
  calendar parts that vary (year, month, day, weekday, day of year, hour; the
  library's encoding, see skgrn/_tabular.py);
* ``cyclic``: days since 1970 plus the sine and cosine of the cyclic parts
  (day of year, weekday, hour where they vary), computed here.

A timedelta column (synthetic table) is its seconds in the last three versions,
its hours as a float in ``parts``.

The tables: ``Bikeshare`` (ISLR; regression on ``bikers``, 2011, ``day`` the day
of the year and ``hr`` the hour), ``PortalRodents`` (set 2; multiclass
``species_id``, a random sample of ``--portal-rows`` rows), ``BirdStrikeHeight``
(set 2; regression on log1p of ``height``, dated to the month), and a synthetic
table with a trend, weekly and yearly cycles, an hour-of-day effect, missing
dates and a duration. Each is split 80/20 (stratified for classification) per
seed; accuracy or R² on the test part, and the seconds of the fit.

Run it from the repository root::

    python benchmarks/dates.py --data-dir DATA_DIR
    python benchmarks/dates.py --data-dir DATA_DIR --seeds 2 --write docs/benchmarks.md

Without ``--data-dir`` only the synthetic table runs. ``--write`` replaces the
section between ``<!-- dates:start -->`` and ``<!-- dates:end -->``.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, r2_score
from sklearn.model_selection import train_test_split

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish  # noqa: E402

import skgrn._tabular  # noqa: E402
from skgrn import GRNClassifier, GRNRegressor  # noqa: E402

VERSIONS = ("parts", "elapsed", "calendar", "cyclic")
#: The calendar parts the library looks at in each version; "parts" has no date column.
LIBRARY_PARTS = {
    "parts": (),
    "elapsed": (),
    "calendar": skgrn._tabular.CALENDAR_PARTS,
    "cyclic": (),
}
#: Periods of the cyclic parts that "cyclic" encodes as sine and cosine.
PERIODS = {"day of year": 365.25, "weekday": 7.0, "hour": 24.0}


# --- the tables: (task, table as given, table with a date column, target) -------------
def bikeshare(data_dir, rng):
    table = pd.read_csv(data_dir / "Bikeshare.csv").drop(columns=["casual", "registered"])
    y = table.pop("bikers").astype(float)
    hour = pd.to_numeric(table["hr"])
    when = pd.Timestamp("2011-01-01") + pd.to_timedelta(table["day"] - 1, unit="D")
    dated = table.drop(columns=["mnth", "day", "hr", "weekday"])
    dated.insert(0, "when", when + pd.to_timedelta(hour, unit="h"))
    return "regression", table, dated, y


def portal_rodents(data_dir, rng, n_rows):
    table = pd.read_csv(data_dir / "set2" / "PortalRodents.csv")
    table = table.iloc[np.sort(rng.choice(len(table), n_rows, replace=False))]
    table = table.reset_index(drop=True)
    y = table.pop(table.columns[-1])
    dated = table.drop(columns=["year", "month", "day"])
    dated.insert(0, "date", pd.to_datetime(table[["year", "month", "day"]], errors="coerce"))
    return "classification", table, dated, y


def bird_strike_height(data_dir, rng):
    table = pd.read_csv(data_dir / "set2" / "BirdStrikeHeight.csv")
    y = np.log1p(table.pop("height"))
    dated = table.drop(columns=["year", "month"])
    dated.insert(0, "date", pd.to_datetime(table[["year", "month"]].assign(day=1)))
    return "regression", table, dated, y


def synthetic(n_rows, rng):
    """Hourly timestamps over three years, missing in 5% of the rows, and a
    duration: the target is a trend, weekly and yearly cycles, an hour-of-day
    effect and the log of the duration, plus noise."""
    start = pd.Timestamp("2019-01-01").value
    span = pd.Timedelta(days=3 * 365).value
    when = pd.Series(pd.to_datetime(start + rng.randint(0, span, n_rows)).floor("h"))
    duration = pd.Series(pd.to_timedelta(np.exp(rng.randn(n_rows) + 3), unit="min"))
    noise = rng.randn(n_rows)
    days = (when - when.min()).dt.days
    y = (
        days / 365
        + np.sin(2 * np.pi * when.dt.day_of_year / 365.25)
        + 0.8 * (when.dt.day_of_week >= 5)
        + np.exp(-(((when.dt.hour - 17) / 3) ** 2))
        + 0.5 * np.log(duration.dt.total_seconds())
        + 0.3 * noise
        + 0.5 * rng.randn(n_rows)
    )
    when[rng.rand(n_rows) < 0.05] = pd.NaT  # the target keeps the effect of the lost date
    parts = pd.DataFrame(
        {
            "year": when.dt.year,
            "month": when.dt.month,
            "day": when.dt.day,
            "hour": when.dt.hour,
            "duration_hours": duration.dt.total_seconds() / 3600,
            "x": noise,
        }
    )
    dated = pd.DataFrame({"when": when, "duration": duration, "x": noise})
    return "regression", parts, dated, y


def load_tables(data_dir, portal_rows, synthetic_rows):
    rng = np.random.RandomState(0)
    tables = {"synthetic": synthetic(synthetic_rows, rng)}
    if data_dir is not None:
        tables = {
            "Bikeshare": bikeshare(data_dir, rng),
            "PortalRodents": portal_rodents(data_dir, rng, portal_rows),
            "BirdStrikeHeight": bird_strike_height(data_dir, rng),
            **tables,
        }
    return tables


def with_cycles(dated):
    """``dated`` with the sine and cosine of each varying cyclic part of its
    datetime columns beside them."""
    columns = {}
    for name in dated.columns:
        values = dated[name]
        if not pd.api.types.is_datetime64_any_dtype(values.dtype):
            continue
        parts = skgrn._tabular.date_features(values, ("day", *PERIODS))
        days_vary = np.nanmin(parts[:, 0]) < np.nanmax(parts[:, 0])
        for index, (part, period) in enumerate(PERIODS.items(), start=1):
            column = parts[:, index]
            if np.nanmin(column) < np.nanmax(column) and (days_vary or part != "weekday"):
                angle = 2 * np.pi * column / period
                columns[f"{name} {part} sin"] = np.sin(angle)
                columns[f"{name} {part} cos"] = np.cos(angle)
    return dated.assign(**columns)


# --- fitting -------------------------------------------------------------------------
def fit_and_score(task, X, y, seed):
    stratify = y if task == "classification" and y.value_counts().min() >= 2 else None
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.2, random_state=seed, stratify=stratify
    )
    model_class = GRNClassifier if task == "classification" else GRNRegressor
    model = model_class(random_state=seed)
    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X.iloc[train], y.iloc[train])
    seconds = time.perf_counter() - started
    predicted = model.predict(X.iloc[test])
    metric = accuracy_score if task == "classification" else r2_score
    return metric(y.iloc[test], predicted), seconds


def run(tables, versions, seeds):
    runs = []
    for name, (task, parts, dated, y) in tables.items():
        inputs = {"parts": parts, "elapsed": dated, "calendar": dated, "cyclic": with_cycles(dated)}
        for seed in seeds:
            for version in versions:
                skgrn._tabular.CALENDAR_PARTS = LIBRARY_PARTS[version]
                score, seconds = fit_and_score(task, inputs[version], y, seed)
                runs.append((name, seed, version, score, seconds))
                print(
                    f"{name:<18} seed {seed}  {version:<9} score {score:7.4f}  {seconds:7.1f} s",
                    flush=True,
                )
    skgrn._tabular.CALENDAR_PARTS = LIBRARY_PARTS["calendar"]
    return pd.DataFrame(runs, columns=["table", "seed", "version", "score", "seconds"])


def report_tables(runs, versions):
    means = runs.groupby(["table", "version"], sort=False)[["score", "seconds"]].mean()
    order = list(dict.fromkeys(runs["table"]))
    header = "| table | " + " | ".join(versions) + " | " + " | ".join(f"{v} s" for v in versions)
    lines = [header + " |", "|---|" + "---:|" * (2 * len(versions))]
    for table in [*order, "mean"]:
        if table == "mean":
            rows = means.groupby(level="version").mean()
        else:
            rows = means.loc[table]
        scores = " | ".join(f"{rows.loc[v, 'score']:.4f}" for v in versions)
        times = " | ".join(f"{rows.loc[v, 'seconds']:.1f}" for v in versions)
        lines.append(f"| {table} | {scores} | {times} |")
    per_seed = runs.pivot_table(index=["table", "seed"], columns="version", values="score")
    gains = []
    for version in versions:
        if version == "parts" or "parts" not in versions:
            continue
        gain = (per_seed[version] - per_seed["parts"]).groupby(level="table", sort=False)
        gains.append(
            f"`{version}` minus `parts`, per table (each seed): "
            + "; ".join(
                f"{table} {values.mean():+.4f} ({', '.join(f'{v:+.4f}' for v in values)})"
                for table, values in gain
            )
        )
    return ["\n".join(lines)], gains


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="the development tables (DATA_DIR)")
    parser.add_argument("--seeds", type=int, default=2, help="number of splits: seeds 0..N-1")
    parser.add_argument("--versions", nargs="+", choices=VERSIONS, default=list(VERSIONS))
    parser.add_argument("--tables", nargs="+", help="default: all")
    parser.add_argument("--portal-rows", type=int, default=8000)
    parser.add_argument("--synthetic-rows", type=int, default=6000)
    parser.add_argument("--write", type=Path, help="markdown file whose dates section to replace")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    tables = load_tables(args.data_dir, args.portal_rows, args.synthetic_rows)
    if args.tables:
        tables = {name: tables[name] for name in args.tables}
    runs = run(tables, args.versions, range(args.seeds))
    tables_md, lines = report_tables(runs, args.versions)
    description = (
        "Score on the test part (accuracy for PortalRodents, R² for the others) of the "
        "default estimator with the date given as separate numeric parts (`parts`), as "
        "elapsed days only (`elapsed`), as elapsed days and calendar parts (`calendar`), "
        f"and as elapsed days and sine/cosine of the cyclic parts (`cyclic`); {args.seeds} "
        "seeds, then the mean fit seconds of each version."
    )
    publish(
        "dates",
        "Date columns",
        description,
        tables_md,
        lines,
        args.write,
        args.data_dir,
    )


if __name__ == "__main__":
    main()
