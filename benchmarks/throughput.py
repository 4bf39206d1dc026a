"""How fast does the estimator train, against Keras' own fit of the same network?

On ``--rows`` x 50 float32 rows (200,000 by default) with a regression target:

* ``GRNRegressor(batch_size=512, early_stopping=False, max_iter=E)``: the
  whole ``fit`` call, so the estimator's work around the epochs (checking and
  encoding the table, building the network, copying weights) counts against
  it;
* a hand-written Keras loop over the identical network (built by the same
  code, with the same ensemble members, on the already-encoded table and
  standardised target): ``model.compile(Adam, per-member squared error)``
  then ``model.fit(batch_size=512, epochs=E, shuffle=True)``. It skips the L2
  penalty the estimator adds, so it does slightly less arithmetic.

Both run once beforehand, so neither pays TensorFlow's tracing in the timed
runs. The table shows rows per second per epoch, medians over ``--rounds``
runs, and the cores each used (process CPU seconds over wall seconds). A
last row repeats the estimator's runs in a fresh process with TensorFlow
limited to one thread (``TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1``),
the setting the README gives for running many fits in parallel.

Run it from the repository root::

    python benchmarks/throughput.py
    python benchmarks/throughput.py --rows 50000 --rounds 1
    python benchmarks/throughput.py --write docs/benchmarks.md

The target it reports against: the estimator at least 0.9x Keras' rows per second.
"""

import argparse
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # must precede the TensorFlow import

import keras  # noqa: E402
from _report import publish, run_fresh  # noqa: E402

from skgrn import GRNRegressor  # noqa: E402
from skgrn._network import build_network, logits_model  # noqa: E402

SECTION = "throughput"  # of docs/benchmarks.md
ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = {"TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1"}

# The estimator's runs again, in a fresh interpreter (where the thread settings
# take effect); prints one JSON line of the (seconds, cores) of each run.
CHILD = """
import json, sys
sys.path.insert(0, {benchmarks!r})
from throughput import fit_estimator, make_data, timed
X, y = make_data({rows})
fit_estimator(X, y, 1)
print(json.dumps([timed(lambda: fit_estimator(X, y, {epochs})) for _ in range({rounds})]))
"""
N_FEATURES = 50
BATCH_SIZE = 512
TARGET_RATIO = 0.9


def make_data(n_rows, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_rows, N_FEATURES)).astype(np.float32)
    y = X[:, 0] + np.sin(2 * X[:, 1]) + X[:, 2] * X[:, 3] + rng.normal(size=n_rows)
    return X, y.astype(np.float32)


def cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(function):
    """Wall seconds and cores used (CPU seconds over wall seconds) of ``function()``."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    function()
    wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
    return wall, cpu / wall


def estimator(epochs):
    return GRNRegressor(
        batch_size=BATCH_SIZE,
        early_stopping=False,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=0,
    )


def fit_estimator(X, y, epochs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return estimator(epochs).fit(X, y)


def keras_network(fitted):
    """The estimator's network, freshly initialised, compiled for Keras' own fit."""
    spec = fitted._spec
    model = logits_model(build_network(spec, seed=1))

    def member_squared_error(y_true, y_pred):
        # y_pred is (batch, members, 1): each member is fitted to the target.
        return keras.ops.mean(keras.ops.square(keras.ops.expand_dims(y_true, 1) - y_pred))

    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=fitted.learning_rate_init),
        loss=member_squared_error,
    )
    return model


def runs_with_one_thread(rows, epochs, rounds):
    code = CHILD.format(
        benchmarks=str(ROOT / "benchmarks"), rows=rows, epochs=epochs, rounds=rounds
    )
    return [tuple(run) for run in run_fresh(code, env=ONE_THREAD)]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.partition("\n")[0])
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--epochs", type=int, default=3, help="epochs of each timed fit")
    parser.add_argument("--rounds", type=int, default=3, help="timed fits of each")
    parser.add_argument("--write", type=Path, help="markdown file whose section to replace")
    args = parser.parse_args(argv)
    if args.rows < 1000 or args.epochs < 1 or args.rounds < 1:
        parser.error("--rows must be at least 1000, --epochs and --rounds at least 1")
    return args


def main(argv=None):
    args = parse_args(argv)
    X, y = make_data(args.rows)
    fitted = fit_estimator(X, y, 1)  # traces the training step
    if fitted._spec.ensemble_size < 2:
        raise RuntimeError("expected the default ensemble on a large table")
    encoded = fitted._layout.encode(X)
    scaled = ((y - fitted.target_mean_) / fitted.target_scale_).astype(np.float32)[:, None]
    network = keras_network(fitted)
    network.fit(encoded, scaled, batch_size=BATCH_SIZE, epochs=1, verbose=0)  # traces

    runs = {"estimator": [], "keras": []}
    for _ in range(args.rounds):
        runs["estimator"].append(timed(lambda: fit_estimator(X, y, args.epochs)))
        runs["keras"].append(
            timed(
                lambda: network.fit(
                    encoded,
                    scaled,
                    batch_size=BATCH_SIZE,
                    epochs=args.epochs,
                    shuffle=True,
                    verbose=0,
                )
            )
        )
        print(
            "  estimator {:.2f} s, Keras {:.2f} s".format(
                runs["estimator"][-1][0], runs["keras"][-1][0]
            ),
            flush=True,
        )
    runs["one thread"] = runs_with_one_thread(args.rows, args.epochs, args.rounds)
    summary = {}
    for name, measured in runs.items():
        wall = float(np.median([seconds for seconds, _ in measured]))
        cores = float(np.median([used for _, used in measured]))
        summary[name] = (args.rows * args.epochs / wall, wall, cores)
    ratio = summary["estimator"][0] / summary["keras"][0]
    labels = {
        "estimator": f"`GRNRegressor.fit` (batch {BATCH_SIZE}, {args.epochs} epochs)",
        "keras": f"Keras `model.fit` of the same network (batch {BATCH_SIZE})",
        "one thread": "`GRNRegressor.fit` as above, TensorFlow limited to one thread",
    }
    table = "\n".join(
        [
            "| training | rows / s per epoch | seconds | cores used |",
            "| :--- | ---: | ---: | ---: |",
        ]
        + [
            f"| {labels[name]} | {rate:,.0f} | {wall:.2f} | {cores:.2f} |"
            for name, (rate, wall, cores) in summary.items()
        ]
    )
    verdict = "met" if ratio >= TARGET_RATIO else "not met"
    lines = [
        f"The estimator trains at {ratio:.2f}x Keras' rows per second "
        f"(target >= {TARGET_RATIO:g}x: {verdict}).",
    ]
    description = (
        f"{args.rows:,} rows x {N_FEATURES} float32 features, regression, "
        f"{fitted._spec.ensemble_size} ensemble members; medians over {args.rounds} runs "
        f"of {args.epochs} epochs, after one untimed run of each."
    )
    publish(SECTION, "Training throughput", description, [table], lines, args.write)


if __name__ == "__main__":
    main()
