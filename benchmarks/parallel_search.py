"""How much faster is a hyperparameter search with n_jobs=2 than with n_jobs=1?

``GridSearchCV`` over a default ``GRNRegressor`` (4 candidates x 5 folds, 20
fits) on ``--rows`` x 10 numeric features, once with ``n_jobs=1`` and once
with ``n_jobs=2`` (joblib's loky worker processes). Each search runs in a
fresh Python process, so both pay what a user pays once: starting workers,
importing TensorFlow in them, tracing the training step. The table shows the
median seconds over ``--rounds`` rounds and checks that both searches found
identical ``cv_results_`` scores.

joblib sets ``OMP_NUM_THREADS`` in its workers to their share of the cores;
skgrn gives TensorFlow the same limit (see ``skgrn/_threads.py``).

Run it from the repository root::

    python benchmarks/parallel_search.py
    python benchmarks/parallel_search.py --rounds 1 --rows 1500
    python benchmarks/parallel_search.py --write docs/benchmarks.md

The target it reports against: n_jobs=2 at least 1.4x faster than n_jobs=1.
"""

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish, run_fresh  # noqa: E402

SECTION = "parallel_search"  # of docs/benchmarks.md
TARGET_SPEEDUP = 1.4

# Run in a fresh interpreter; prints one JSON line: seconds and scores.
CHILD = """
import json, os, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np
from sklearn.model_selection import GridSearchCV
from skgrn import GRNRegressor

rng = np.random.default_rng(0)
X = rng.normal(size=({rows}, 10))
y = X[:, 0] + np.sin(2 * X[:, 1]) + X[:, 2] * X[:, 3] + 0.3 * rng.normal(size={rows})
grid = {{"block_units": [16, 32], "alpha": [0.1, 1.0]}}
warnings.simplefilter("ignore")
start = time.perf_counter()
search = GridSearchCV(GRNRegressor(random_state=0), grid, cv=5, n_jobs={n_jobs}).fit(X, y)
seconds = time.perf_counter() - start
print(json.dumps(dict(seconds=seconds, scores=search.cv_results_["mean_test_score"].tolist())))
"""


def run_search(n_jobs, rows):
    return run_fresh(CHILD.format(rows=rows, n_jobs=n_jobs))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="searches of each kind")
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    if args.rows < 100 or args.rounds < 1:
        parser.error("--rows must be at least 100 and --rounds at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    runs = {1: [], 2: []}
    for _ in range(args.rounds):
        for n_jobs in runs:
            runs[n_jobs].append(run_search(n_jobs, args.rows))
            print(f"  n_jobs={n_jobs}: {runs[n_jobs][-1]['seconds']:.1f} s", flush=True)
    seconds = {
        n_jobs: float(np.median([r["seconds"] for r in done])) for n_jobs, done in runs.items()
    }
    identical = all(
        serial["scores"] == parallel["scores"]
        for serial, parallel in zip(runs[1], runs[2], strict=True)
    )
    speedup = seconds[1] / seconds[2]
    table = "\n".join(
        ["| search | seconds | speedup |", "| :--- | ---: | ---: |"]
        + [
            f"| `GridSearchCV(..., n_jobs={n_jobs})` | {value:.1f} | {seconds[1] / value:.2f} |"
            for n_jobs, value in seconds.items()
        ]
    )
    lines = [
        f"n_jobs=2 is {speedup:.2f}x faster than n_jobs=1 (target >= {TARGET_SPEEDUP:g}x: "
        f"{'met' if speedup >= TARGET_SPEEDUP else 'not met'}).",
        f"cv_results_ scores identical in every round: {'yes' if identical else 'NO'}.",
    ]
    description = (
        f"GridSearchCV of a default `GRNRegressor` over block_units x alpha (4 candidates) "
        f"with 5 folds, on {args.rows:,} rows x 10 features; every search in a fresh process; "
        f"medians over {args.rounds} rounds."
    )
    publish(SECTION, "Parallel hyperparameter search", description, [table], lines, args.write)


if __name__ == "__main__":
    main()
