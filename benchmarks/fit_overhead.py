"""What does a fit cost when there is almost nothing to learn?

On a tiny table (``--rows`` rows, 20 numeric features, a binary target):

* the first default ``GRNClassifier.fit`` in a fresh process (it traces the
  training step), measured in ``--rounds`` fresh processes;
* later fits of the same shape in one process (the traced step is reused);
* ``MLPClassifier.fit`` with its defaults;

and the wall time of the scikit-learn compliance module
(``tests/test_sklearn_compliance.py``, both estimators with their default
parameters: the module also checks them with ``variable_selection=True``,
which this leaves out), run by pytest in a fresh process. All figures are
medians over ``--rounds`` runs.

Run it from the repository root::

    python benchmarks/fit_overhead.py
    python benchmarks/fit_overhead.py --rounds 1 --skip-compliance
    python benchmarks/fit_overhead.py --write docs/benchmarks.md

The target it reports against: the compliance module under 60 s.
"""

import argparse
import os
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

from _report import publish, run_fresh  # noqa: E402

from skgrn import GRNClassifier  # noqa: E402

SECTION = "fit_overhead"  # of docs/benchmarks.md
ROOT = Path(__file__).resolve().parents[1]
COMPLIANCE_MODULE = "tests/test_sklearn_compliance.py"
COMPLIANCE_TARGET_SECONDS = 60.0
N_FEATURES = 20

# Run in a fresh interpreter: prints the seconds of the first fit only, not the imports.
COLD_FIT = """
import os, sys, time, warnings
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, {benchmarks!r})
from fit_overhead import make_data
from skgrn import GRNClassifier
X, y = make_data({rows})
warnings.simplefilter("ignore")
start = time.perf_counter()
GRNClassifier(random_state=0).fit(X, y)
print(time.perf_counter() - start)
"""


def make_data(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, N_FEATURES))
    return X, (X[:, 0] + rng.normal(size=n_rows) > 0).astype(int)


def fit_seconds(make_estimator, X, y, rounds):
    seconds = []
    for _ in range(rounds):
        estimator = make_estimator()
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            estimator.fit(X, y)
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def cold_fit_seconds(n_rows, rounds):
    code = COLD_FIT.format(benchmarks=str(ROOT / "benchmarks"), rows=n_rows)
    seconds = []
    for _ in range(rounds):
        seconds.append(float(run_fresh(code)))
    return float(np.median(seconds))


def compliance_seconds(rounds):
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", COMPLIANCE_MODULE]
    command += ["-k", "not variable_selection"]  # the defaults, as the target was set for
    seconds = []
    for _ in range(rounds):
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds.append(time.perf_counter() - start)
        summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
        print(f"  compliance module: {seconds[-1]:.1f} s ({summary})", flush=True)
        if result.returncode != 0:
            sys.exit(f"{COMPLIANCE_MODULE} failed:\n{result.stdout}\n{result.stderr}")
    return float(np.median(seconds))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, default=100, help="rows of the tiny table")
    parser.add_argument("--rounds", type=int, default=3, help="repeats of every measurement")
    parser.add_argument("--skip-compliance", action="store_true", help="skip the pytest run")
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    if args.rows < 2 or args.rounds < 1:
        parser.error("--rows must be at least 2 and --rounds at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    X, y = make_data(args.rows)
    rows = []
    cold = cold_fit_seconds(args.rows, args.rounds)
    rows.append(("`GRNClassifier().fit`, first fit in a fresh process", cold))
    print(f"GRN first fit: {cold:.2f} s", flush=True)
    fit_seconds(lambda: GRNClassifier(random_state=0), X, y, 1)  # traces; later fits reuse it
    warm = fit_seconds(lambda: GRNClassifier(random_state=0), X, y, args.rounds)
    rows.append(("`GRNClassifier().fit`, later fits of the same shape", warm))
    print(f"GRN later fits: {warm:.2f} s", flush=True)
    mlp = fit_seconds(lambda: MLPClassifier(random_state=0), X, y, args.rounds)
    rows.append(("`MLPClassifier().fit`", mlp))
    print(f"MLP fit: {mlp:.2f} s", flush=True)
    lines = [
        f"First GRN fit {cold / mlp:.0f}x the MLP's; later fits {warm / mlp:.0f}x.",
    ]
    if not args.skip_compliance:
        module = compliance_seconds(args.rounds)
        rows.append((f'`pytest {COMPLIANCE_MODULE} -k "not variable_selection"`', module))
        verdict = "met" if module < COMPLIANCE_TARGET_SECONDS else "not met"
        lines.append(
            f"Compliance module {module:.1f} s (target under "
            f"{COMPLIANCE_TARGET_SECONDS:g} s: {verdict})."
        )

    table = "\n".join(
        ["| what | seconds |", "| :--- | ---: |"]
        + [f"| {label} | {seconds:.2f} |" for label, seconds in rows]
    )
    description = (
        f"A table of {args.rows} rows x {N_FEATURES} numeric features, binary target; "
        f"medians over {args.rounds} runs."
    )
    publish(SECTION, "Fixed cost of a fit", description, [table], lines, args.write)


if __name__ == "__main__":
    main()
