"""How much memory does a fit on a large table take, beyond the table itself?

Each measurement runs in a fresh process: it imports the library, notes its
resident memory, makes the input (``--rows`` x 50 float32, 200 MB at the
default million rows) and a target, resets the kernel's peak-memory mark,
fits, and reads the peak. The figure is that peak minus the memory before the
input was made, as a multiple of the input array's size, so the input itself
counts once. A default ``GRNRegressor`` (``--epochs`` epochs; memory does not
grow with epochs) is measured on a NumPy array and on a DataFrame of the same
columns; ``MLPRegressor`` (one epoch) and ``HistGradientBoostingRegressor``
(10 iterations) on the array are shown for comparison. Medians over
``--rounds`` processes.

Linux only: it reads ``/proc/self/status`` and resets the mark through
``/proc/self/clear_refs``.

Run it from the repository root::

    python benchmarks/memory.py
    python benchmarks/memory.py --rows 200000 --rounds 1
    python benchmarks/memory.py --write docs/benchmarks.md

The target it reports against: the GRN's peak at most 3x the input's size.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish, run_fresh  # noqa: E402

SECTION = "memory"  # of docs/benchmarks.md
N_FEATURES = 50
TARGET_RATIO = 3.0

ESTIMATORS = {
    "GRNRegressor": "from skgrn import GRNRegressor as E; params = dict(max_iter={epochs})",
    "MLPRegressor": (
        "from sklearn.neural_network import MLPRegressor as E; params = dict(max_iter=1)"
    ),
    "HistGradientBoostingRegressor": (
        "from sklearn.ensemble import HistGradientBoostingRegressor as E; "
        "params = dict(max_iter=10)"
    ),
}
CASES = [("GRNRegressor", "array"), ("GRNRegressor", "DataFrame")]
REFERENCES = [("MLPRegressor", "array"), ("HistGradientBoostingRegressor", "array")]
ARTICLE = {"array": "an array", "DataFrame": "a DataFrame"}

# Run in a fresh interpreter; prints one JSON line.
CHILD = """
import json, os, sys, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np, pandas as pd
{import_estimator}

def status(key):
    with open("/proc/self/status") as lines:
        for line in lines:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024

before = status("VmRSS")
rng = np.random.default_rng(0)
X = rng.normal(size=({rows}, {n_features})).astype(np.float32)
y = X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(size={rows}).astype(np.float32)
input_bytes = X.nbytes
if {frame}:
    X = pd.DataFrame(X, columns=[f"x{{i}}" for i in range({n_features})], copy=False)
with open("/proc/self/clear_refs", "w") as marks:
    marks.write("5")  # reset the peak resident memory to the current one
warnings.simplefilter("ignore")
E(random_state=0, **params).fit(X, y)
print(json.dumps(dict(input_bytes=input_bytes, peak_above_start=status("VmHWM") - before)))
"""


def measure(estimator, container, rows, epochs, rounds):
    """Median peak memory above the start, as a multiple of the input size."""
    code = CHILD.format(
        import_estimator=ESTIMATORS[estimator].format(epochs=epochs),
        rows=rows,
        n_features=N_FEATURES,
        frame=container == "DataFrame",
    )
    ratios, peaks = [], []
    for _ in range(rounds):
        figures = run_fresh(code)
        peaks.append(figures["peak_above_start"])
        ratios.append(figures["peak_above_start"] / figures["input_bytes"])
    print(f"{estimator} on {container}: {np.median(ratios):.2f}x the input", flush=True)
    return float(np.median(peaks)), float(np.median(ratios)), figures["input_bytes"]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=2, help="max_iter of the GRN")
    parser.add_argument("--rounds", type=int, default=3, help="fresh processes per figure")
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    if args.rows < 100 or args.epochs < 1 or args.rounds < 1:
        parser.error("--rows must be at least 100, --epochs and --rounds at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    if not Path("/proc/self/clear_refs").exists():
        sys.exit("This benchmark reads Linux's /proc; it cannot run here.")
    results = {
        case: measure(*case, args.rows, args.epochs, args.rounds) for case in CASES + REFERENCES
    }
    input_mb = next(iter(results.values()))[2] / 1e6
    table = "\n".join(
        [
            "| estimator | input | peak above start, MB | / input size |",
            "| :--- | :--- | ---: | ---: |",
        ]
        + [
            f"| `{estimator}` | {container} | {peak / 1e6:.0f} | {ratio:.2f} |"
            for (estimator, container), (peak, ratio, _) in results.items()
        ]
    )
    lines = []
    for name, container in CASES:
        ratio = results[(name, container)][1]
        verdict = "met" if ratio <= TARGET_RATIO else "not met"
        lines.append(
            f"`{name}.fit` on {ARTICLE[container]}: {ratio:.2f}x the input "
            f"(target <= {TARGET_RATIO:g}x: {verdict})."
        )
    description = (
        f"Input: {args.rows:,} rows x {N_FEATURES} float32 features ({input_mb:.0f} MB). "
        "Peak resident memory of the process during `fit`, minus its resident memory "
        "before the input was made (so the input counts once); medians over "
        f"{args.rounds} fresh processes. The GRN trains for {args.epochs} epochs, the MLP "
        "for one, HistGradientBoosting for 10 iterations: only the GRN is measured "
        "against the target."
    )
    publish(SECTION, "Memory of a large fit", description, [table], lines, args.write)


if __name__ == "__main__":
    main()
