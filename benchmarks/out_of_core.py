"""Does training chunk by chunk with partial_fit match fit on the whole table?

A regression table of ``--rows`` rows x 20 numeric features (and a held-out
test set of 20,000 rows) is split into ``--chunks`` chunks, as a file too
large for memory would be read. ``partial_fit`` sees the chunks in order,
one epoch each, for ``--passes`` passes; a default ``GRNRegressor.fit`` sees
the whole table at once (with its early stopping). Both use batch size 512
and learning rate 3e-3 (the defaults on large tables); the table shows the
test R² and seconds of each, medians over ``--rounds`` seeds.

Run it from the repository root::

    python benchmarks/out_of_core.py
    python benchmarks/out_of_core.py --rows 50000 --rounds 1
    python benchmarks/out_of_core.py --write docs/benchmarks.md

What it reports against: chunked training within 0.02 R² of ``fit``.
"""

import argparse
import os
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish  # noqa: E402

from skgrn import GRNRegressor  # noqa: E402

SECTION = "out_of_core"  # of docs/benchmarks.md
N_FEATURES = 20
TEST_ROWS = 20_000
TOLERANCE = 0.02


def make_data(n_rows, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    signal = X[:, 0] + np.sin(2 * X[:, 1]) + X[:, 2] * X[:, 3] + 0.5 * np.abs(X[:, 4])
    return X, (signal + 0.5 * rng.normal(size=n_rows)).astype(np.float32)


def whole(X, y, seed):
    return GRNRegressor(random_state=seed).fit(X, y)


def chunked(X, y, seed, n_chunks, n_passes):
    regressor = GRNRegressor(batch_size=512, random_state=seed)
    for _ in range(n_passes):
        for rows in np.array_split(np.arange(len(X)), n_chunks):
            regressor.partial_fit(X[rows], y[rows])
    return regressor


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunks", type=int, default=10)
    parser.add_argument("--passes", type=int, default=5, help="epochs over all chunks")
    parser.add_argument("--rounds", type=int, default=3, help="seeds")
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    if args.rows < 10 * args.chunks or min(args.chunks, args.passes, args.rounds) < 1:
        parser.error("need at least 10 rows per chunk, and positive counts")
    return args


def main(argv=None):
    args = parse_args(argv)
    results = {"fit": [], "partial_fit": []}
    for seed in range(args.rounds):
        X, y = make_data(args.rows + TEST_ROWS, seed)
        X_train, y_train, X_test, y_test = (
            X[TEST_ROWS:],
            y[TEST_ROWS:],
            X[:TEST_ROWS],
            y[:TEST_ROWS],
        )
        for name in results:
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                if name == "fit":
                    regressor = whole(X_train, y_train, seed)
                else:
                    regressor = chunked(X_train, y_train, seed, args.chunks, args.passes)
            seconds = time.perf_counter() - start
            score = r2_score(y_test, regressor.predict(X_test))
            results[name].append((score, seconds, regressor.n_iter_))
            print(f"  seed {seed} {name}: R² {score:.4f} in {seconds:.1f} s", flush=True)
    summary = {
        name: tuple(float(np.median(column)) for column in zip(*runs, strict=True))
        for name, runs in results.items()
    }
    labels = {
        "fit": "`fit` on the whole table (early stopping)",
        "partial_fit": f"`partial_fit` on {args.chunks} chunks x {args.passes} passes",
    }
    table = "\n".join(
        ["| training | test R² | seconds | epochs |", "| :--- | ---: | ---: | ---: |"]
        + [
            f"| {labels[name]} | {score:.4f} | {seconds:.1f} | {epochs:.0f} |"
            for name, (score, seconds, epochs) in summary.items()
        ]
    )
    gap = summary["fit"][0] - summary["partial_fit"][0]
    lines = [
        f"Chunked training is {gap:+.4f} R² behind `fit` (within {TOLERANCE:g}: "
        f"{'yes' if gap <= TOLERANCE else 'no'})."
    ]
    description = (
        f"{args.rows:,} training rows x {N_FEATURES} float32 features, {TEST_ROWS:,} test rows; "
        f"medians over {args.rounds} seeds. Epochs: `n_iter_`, one per `partial_fit` call."
    )
    publish(SECTION, "Training chunk by chunk", description, [table], lines, args.write)


if __name__ == "__main__":
    main()
