"""Training and test scores of one GRN variant on one table: over-fitting or under-fitting?

Fits the GRN on the training part of each seed's split (benchmarks/tables.py's
splits) and prints its score on the training rows beside its score on the test
rows, its epochs and seconds::

    python benchmarks/runs/probes/fit_gap.py DATA_DIR ComputerPrices '{"early_stopping": false}' 0 1

The arguments are the data folder, a table, the GRN's parameters as JSON and
the seeds.
"""

import json
import sys
import time
import warnings
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import tables  # noqa: E402


def main(argv):
    if len(argv) < 4:
        sys.exit("usage: fit_gap.py DATA_DIR TABLE PARAMS_JSON SEED [SEED ...]")
    data_dir, name, params, seeds = argv[0], argv[1], json.loads(argv[2]), argv[3:]
    table = next(table for table in tables.TABLES if table.name == name)
    X, y = table.load(data_dir)
    for seed in map(int, seeds):
        train, test = tables.split(table, y, seed)
        model = tables.make_model("grn", table.task, X, seed, params)
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X.iloc[train], y.iloc[train])
        seconds = time.perf_counter() - start
        print(
            f"{name} seed {seed} {params}: train {model.score(X.iloc[train], y.iloc[train]):.4f}"
            f"  test {model.score(X.iloc[test], y.iloc[test]):.4f}"
            f"  epochs {model.n_iter_}  {seconds:.1f} s",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
