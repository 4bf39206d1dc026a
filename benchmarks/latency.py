"""How fast does a fitted estimator predict, one row at a time and in bulk?

Single row: the p50 and p99 latency of ``predict`` (and ``predict_proba``) on
one row of 20 numeric features, for a default GRNRegressor / GRNClassifier,
for MLPRegressor / MLPClassifier with two hidden layers of 64 fitted on the
same data, and for the GRN's own Keras model (``model_.predict``). Each
latency is measured over ``--calls`` calls, in ``--rounds`` rounds; the table
shows the median over rounds of each round's percentile.

One DataFrame row: ``predict_proba``'s p50 on one row of a DataFrame of 10
numeric columns (with NaN) and 5 text columns (3 to 1,000 levels), for a
default GRNClassifier fitted on that frame, against the same estimator fitted
on the same table as a NumPy array (the text columns as integer codes
declared categorical: the same network) and LightGBM's ``predict`` on the row
with pandas categories (skipped without lightgbm: ``pip install ".[bench]"``).

Bulk: the seconds to predict ``--bulk-rows`` rows, for ``predict`` and for
``model_.predict`` at each of several batch sizes (the best one counts);
medians over ``--rounds`` runs.

Run it from the repository root::

    python benchmarks/latency.py
    python benchmarks/latency.py --rounds 3 --calls 100 --bulk-rows 20000
    python benchmarks/latency.py --write docs/benchmarks.md

The targets it reports against: ``predict``'s p50 at most twice the MLP's and
at most 1/100 of ``model_.predict``'s; bulk ``predict`` at most 1.05 times
``model_.predict`` at its best batch size; the DataFrame row's p50 at most 3
times the NumPy row's and at most half LightGBM's.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier, MLPRegressor

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish  # noqa: E402

from skgrn import GRNClassifier, GRNRegressor  # noqa: E402

SECTION = "latency"  # of docs/benchmarks.md
N_FEATURES = 20
MLP_LAYERS = (64, 64)
KERAS_BATCH_SIZES = (256, 1024, 4096, 16384, 65536)
WARMUP_CALLS = 5
# Targets of the speed issue, as ratios of our time to the baseline's.
SINGLE_ROW_VS_MLP = 2.0
SINGLE_ROW_VS_KERAS = 0.01
BULK_VS_KERAS = 1.05
FRAME_ROW_VS_NUMPY_ROW = 3.0
FRAME_ROW_VS_LIGHTGBM = 0.5
# The DataFrame row's table: numeric columns, and the levels of each text column.
FRAME_NUMERIC = 10
FRAME_LEVELS = (3, 10, 50, 200, 1000)


def make_data(n_rows, dtype, seed=0):
    """A regression target and a binary one on ``N_FEATURES`` numeric columns."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(dtype)
    signal = X[:, 0] + np.sin(2 * X[:, 1]) + X[:, 2] * X[:, 3] + rng.normal(size=n_rows)
    return X, signal, (signal > np.median(signal)).astype(int)


def fit_models(X, y_reg, y_clf):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return {
            "regression": (
                GRNRegressor(random_state=0).fit(X, y_reg),
                MLPRegressor(hidden_layer_sizes=MLP_LAYERS, random_state=0).fit(X, y_reg),
            ),
            "classification": (
                GRNClassifier(random_state=0).fit(X, y_clf),
                MLPClassifier(hidden_layer_sizes=MLP_LAYERS, random_state=0).fit(X, y_clf),
            ),
        }


def call_seconds(function, n_calls):
    """Seconds of each of ``n_calls`` calls of ``function``, after a warm-up."""
    for _ in range(WARMUP_CALLS):
        function()
    seconds = np.empty(n_calls)
    for i in range(n_calls):
        start = time.perf_counter()
        function()
        seconds[i] = time.perf_counter() - start
    return seconds


def latency_ms(function, n_calls, rounds):
    """(p50, p99) in milliseconds: the median over rounds of each round's percentile."""
    per_round = [
        np.percentile(call_seconds(function, n_calls), [50, 99]) * 1e3 for _ in range(rounds)
    ]
    return tuple(np.median(per_round, axis=0))


def single_row_rows(models, row, n_calls, rounds):
    """One result row per (task, model, call): what it is and its p50 / p99."""
    results = []
    for task, (grn, mlp) in models.items():
        methods = ["predict"] + (["predict_proba"] if task == "classification" else [])
        for method in methods:
            for name, estimator in (("grn", grn), ("mlp", mlp)):
                function = getattr(estimator, method)
                p50, p99 = latency_ms(lambda f=function: f(row), n_calls, rounds)
                label = f"{type(estimator).__name__}.{method}"
                results.append((task, name, method, label, p50, p99))
                print(f"{label:<32} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms", flush=True)
        # Keras' predict builds a data pipeline per call: a few calls say enough.
        keras_calls = max(10, n_calls // 10)
        p50, p99 = latency_ms(
            lambda model=grn.model_: model.predict(row, verbose=0), keras_calls, rounds
        )
        label = f"{type(grn).__name__}.model_.predict"
        results.append((task, "keras", "predict", label, p50, p99))
        print(f"{label:<32} p50 {p50:8.3f} ms  p99 {p99:8.3f} ms", flush=True)
    return results


def make_frame(n_rows, seed=0):
    """A DataFrame of FRAME_NUMERIC numeric columns (10% NaN) and text columns of
    FRAME_LEVELS levels, and a binary target that depends on both kinds."""
    rng = np.random.default_rng(seed)
    numbers = rng.normal(size=(n_rows, FRAME_NUMERIC))
    frame = pd.DataFrame(numbers, columns=[f"x{i}" for i in range(FRAME_NUMERIC)])
    frame = frame.mask(rng.random(frame.shape) < 0.1)
    codes = [rng.integers(levels, size=n_rows) for levels in FRAME_LEVELS]
    for index, column in enumerate(codes):
        frame[f"text{index}"] = np.array([f"level {code}" for code in column], dtype=object)
    signal = numbers[:, 0] + np.sin(2 * numbers[:, 1]) + (codes[0] == 1) - (codes[1] % 3 == 0)
    return frame, (signal + rng.normal(size=n_rows) > 0.5).astype(int)


def frame_row_rows(n_rows, n_calls, rounds):
    """p50 and p99 of one DataFrame row's predict_proba, of the same table as a
    NumPy row, and of LightGBM's predict on the row (None without lightgbm)."""
    frame, y = make_frame(n_rows)
    text = [column for column in frame.columns if column.startswith("text")]
    as_codes = frame.copy()
    for column in text:
        as_codes[column] = pd.Categorical(frame[column]).codes  # -1 never occurs here
    array = as_codes.to_numpy(dtype=np.float64)
    positions = [frame.columns.get_loc(column) for column in text]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        on_frame = GRNClassifier(random_state=0).fit(frame, y)
        on_array = GRNClassifier(random_state=0, categorical_features=positions).fit(array, y)
    calls = {
        "DataFrame row": lambda: on_frame.predict_proba(frame.iloc[[0]]),
        "NumPy row (the same table)": lambda: on_array.predict_proba(array[:1]),
    }
    try:
        import lightgbm
    except ImportError:
        lightgbm = None
    if lightgbm is not None:
        categorical = frame.astype({column: "category" for column in text})
        booster = lightgbm.LGBMClassifier(verbose=-1, random_state=0).fit(categorical, y)
        calls["LightGBM predict, DataFrame row"] = lambda: booster.predict(categorical.iloc[[0]])
    results = {}
    for name, function in calls.items():
        results[name] = latency_ms(function, n_calls, rounds)
        print(f"{name:<34} p50 {results[name][0]:8.3f} ms  p99 {results[name][1]:8.3f} ms")
    return results


def frame_row_table(results):
    numpy_p50 = results["NumPy row (the same table)"][0]
    lines = ["| call | p50 ms | p99 ms | p50 / NumPy row's |", "| :--- | ---: | ---: | ---: |"]
    for name, (p50, p99) in results.items():
        lines.append(f"| {name} | {p50:.3f} | {p99:.3f} | {p50 / numpy_p50:.2f} |")
    caption = (
        f"One row of a DataFrame of {FRAME_NUMERIC} numeric columns (10% NaN) and "
        f"{len(FRAME_LEVELS)} text columns of {', '.join(map(str, FRAME_LEVELS))} levels; "
        "`predict_proba` of a default GRNClassifier."
    )
    return caption + "\n\n" + "\n".join(lines)


def frame_row_verdicts(results):
    frame_p50 = results["DataFrame row"][0]
    ratio = frame_p50 / results["NumPy row (the same table)"][0]
    lines = [
        f"DataFrame row p50: {ratio:.2f}x the NumPy row's (target <= "
        f"{FRAME_ROW_VS_NUMPY_ROW:g}x: {'met' if ratio <= FRAME_ROW_VS_NUMPY_ROW else 'not met'})."
    ]
    lightgbm = results.get("LightGBM predict, DataFrame row")
    if lightgbm is None:
        lines.append("LightGBM is not installed: its comparison was not run.")
    else:
        ratio = frame_p50 / lightgbm[0]
        met = "met" if ratio <= FRAME_ROW_VS_LIGHTGBM else "not met"
        lines.append(
            f"DataFrame row p50: {ratio:.2f}x LightGBM's on the same row "
            f"(target <= {FRAME_ROW_VS_LIGHTGBM:g}x: {met})."
        )
    return lines


def bulk_rows(models, X_bulk, rounds):
    """Per task: predict's median seconds, and model_.predict's at each batch size."""
    results = []
    for task, (grn, _) in models.items():
        predict = np.median(call_seconds(lambda g=grn: g.predict(X_bulk), rounds))
        keras = {
            batch: np.median(
                call_seconds(
                    lambda b=batch, g=grn: g.model_.predict(X_bulk, batch_size=b, verbose=0),
                    rounds,
                )
            )
            for batch in KERAS_BATCH_SIZES
        }
        best = min(keras, key=keras.get)
        results.append((task, type(grn).__name__, predict, best, keras[best], keras))
        print(
            f"{type(grn).__name__:<14} predict {predict:7.3f} s  model_.predict best "
            f"{keras[best]:7.3f} s (batch {best})  ratio {predict / keras[best]:.2f}",
            flush=True,
        )
    return results


def grn_ratios(results):
    """For each GRN call, (task, method): its p50 over the MLP's and over model_.predict's."""
    p50s = {(task, name, method): p50 for task, name, method, _, p50, _ in results}
    return {
        (task, method): (p50 / p50s[(task, "mlp", method)], p50 / p50s[(task, "keras", "predict")])
        for task, name, method, _, p50, _ in results
        if name == "grn"
    }


def single_row_table(results):
    lines = [
        "| task | call | p50 ms | p99 ms | p50 / MLP's | p50 / model_.predict's |",
        "| :--- | :--- | ---: | ---: | ---: | ---: |",
    ]
    ratios = grn_ratios(results)
    for task, name, method, label, p50, p99 in results:
        vs_mlp = vs_keras = ""
        if name == "grn":
            over_mlp, over_keras = ratios[(task, method)]
            vs_mlp, vs_keras = f"{over_mlp:.1f}", f"{over_keras:.3f}"
        lines.append(f"| {task} | `{label}` | {p50:.3f} | {p99:.3f} | {vs_mlp} | {vs_keras} |")
    return "\n".join(lines)


def bulk_table(results, n_rows):
    batches = " | ".join(f"batch {b}" for b in KERAS_BATCH_SIZES)
    lines = [
        f"| estimator | `predict` s | {batches} | `predict` / best |",
        "| :--- | ---: | " + "---: | " * len(KERAS_BATCH_SIZES) + "---: |",
    ]
    for _, name, predict, best, best_seconds, keras in results:
        cells = " | ".join(
            f"**{keras[b]:.3f}**" if b == best else f"{keras[b]:.3f}" for b in KERAS_BATCH_SIZES
        )
        lines.append(f"| {name} | {predict:.3f} | {cells} | {predict / best_seconds:.2f} |")
    caption = f"{n_rows:,} rows x {N_FEATURES} features; `model_.predict` seconds by batch size."
    return caption + "\n\n" + "\n".join(lines)


def verdicts(single, bulk):
    ratios = grn_ratios(single)
    lines = []
    for task, name, method, label, _, _ in single:
        if name != "grn":
            continue
        vs_mlp, vs_keras = ratios[(task, method)]
        lines.append(
            f"`{label}` p50: {vs_mlp:.1f}x the MLP's (target <= {SINGLE_ROW_VS_MLP:g}x: "
            f"{'met' if vs_mlp <= SINGLE_ROW_VS_MLP else 'not met'}), "
            f"{vs_keras:.3f}x `model_.predict`'s (target <= {SINGLE_ROW_VS_KERAS:g}: "
            f"{'met' if vs_keras <= SINGLE_ROW_VS_KERAS else 'not met'})."
        )
    for _, name, predict, best, best_seconds, _ in bulk:
        ratio = predict / best_seconds
        lines.append(
            f"`{name}.predict` in bulk: {ratio:.2f}x `model_.predict` at batch {best} "
            f"(target <= {BULK_VS_KERAS:g}: {'met' if ratio <= BULK_VS_KERAS else 'not met'})."
        )
    return lines


def notes(dtype):
    if dtype != "float64":
        return []
    return [
        "`model_.predict` on a NumPy array rounds float64 input to float32 before the "
        "network sees it (Keras' data adapter), so on a float64 network it computes on "
        "rounded inputs. Fed a `tf.data.Dataset` of the same batches it keeps float64, and "
        "then its outputs equal `predict`'s to the last bit (tests/test_predict.py). The "
        "timings here use the NumPy array, as users call it."
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, default=5000, help="training rows")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float64")
    parser.add_argument("--rounds", type=int, default=5, help="repeats of every measurement")
    parser.add_argument("--calls", type=int, default=300, help="single-row calls per round")
    parser.add_argument("--bulk-rows", type=int, default=100_000)
    parser.add_argument("--write", type=Path, help="markdown file whose latency section to replace")
    args = parser.parse_args(argv)
    for name in ("rows", "rounds", "calls", "bulk_rows"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    X, y_reg, y_clf = make_data(args.rows, args.dtype)
    models = fit_models(X, y_reg, y_clf)
    print(f"Fitted on {args.rows} x {N_FEATURES} {args.dtype}.", flush=True)
    single = single_row_rows(models, X[:1], args.calls, args.rounds)
    frame = frame_row_rows(args.rows, args.calls, args.rounds)
    X_bulk, _, _ = make_data(args.bulk_rows, args.dtype, seed=1)
    bulk = bulk_rows(models, X_bulk, args.rounds)

    description = (
        f"Default estimators fitted on {args.rows} x {N_FEATURES} {args.dtype} rows; "
        f"MLPs with hidden layers {MLP_LAYERS} on the same data. Single-row latencies: "
        f"median over {args.rounds} rounds of each round's percentile over "
        f"{args.calls} calls (a tenth as many for `model_.predict`). Bulk: median "
        f"seconds over {args.rounds} runs."
    )
    tables = [single_row_table(single), frame_row_table(frame), bulk_table(bulk, args.bulk_rows)]
    lines = verdicts(single, bulk) + frame_row_verdicts(frame) + notes(args.dtype)
    publish(SECTION, "Prediction latency", description, tables, lines, args.write)


if __name__ == "__main__":
    main()
