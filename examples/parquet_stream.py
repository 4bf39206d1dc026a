"""Train on a Parquet file too large for memory, one row group at a time.

``partial_fit`` trains one epoch on the rows it is given, so a file can be
streamed in chunks (here, Parquet row groups read with pyarrow) for a few
passes, holding only one chunk in memory. The first call learns the table's
layout (the scaling of numeric columns and the categories of text columns)
from its chunk alone, so the first chunk should be representative: shuffle
the rows when writing the file, as here.

Needs pyarrow (``pip install pyarrow``).
"""

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from sklearn.metrics import r2_score

from skgrn import GRNRegressor

ROW_GROUP = 10_000
PASSES = 3
STORES = [f"store {k}" for k in range(40)]
STORE_EFFECT = dict(zip(STORES, np.random.default_rng(42).normal(0, 1, len(STORES)), strict=True))


def make_table(n_rows, seed):
    rng = np.random.default_rng(seed)
    table = pd.DataFrame(rng.normal(size=(n_rows, 6)), columns=[f"x{i}" for i in range(6)])
    table["store"] = rng.choice(STORES, n_rows)
    table["sales"] = (
        table["x0"]
        + np.sin(2 * table["x1"])
        + table["x2"] * table["x3"]
        + table["store"].map(STORE_EFFECT)
        + 0.3 * rng.normal(size=n_rows)
    )
    return table


with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "sales.parquet"
    # Stand-in for a file written elsewhere: 100,000 shuffled rows in row groups.
    pq.write_table(
        pa.Table.from_pandas(make_table(100_000, seed=0)), path, row_group_size=ROW_GROUP
    )

    regressor = GRNRegressor(random_state=0)
    source = pq.ParquetFile(path)
    for _ in range(PASSES):
        for group in range(source.num_row_groups):
            chunk = source.read_row_group(group).to_pandas()
            regressor.partial_fit(chunk.drop(columns="sales"), chunk["sales"])
    print(f"{source.num_row_groups} row groups x {PASSES} passes = {regressor.n_iter_} epochs")

test = make_table(10_000, seed=1)
score = r2_score(test["sales"], regressor.predict(test.drop(columns="sales")))
print(f"test R² after streaming: {score:.3f}")
