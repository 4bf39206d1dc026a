"""Train on a Dask DataFrame one partition at a time.

``partial_fit`` trains one epoch on the rows it is given, so a Dask DataFrame
larger than memory can be streamed partition by partition for a few passes:
``partition.compute()`` turns one partition into a pandas DataFrame, and only
that one is held in memory. The first call learns the table's layout (the
scaling of numeric columns and the categories of text columns) from its
partition alone, so the first partition should be representative. Here each
partition is an independent random sample, generated on demand from its own
seed by ``dask.dataframe.from_map``, so no partition is special and the whole
table never exists at once. With a ``dask.distributed`` cluster the partitions
are computed on the workers; the model still trains in this process.

dask-ml's ``Incremental`` wrapper trains the same way, but its scoring fails
with current Dask (dask-ml 2025.1, Dask 2026.8), and the loop written out needs
no extra package. Needs ``pip install "skgrn[dask]"``.
"""

import dask.dataframe as dd
import numpy as np
import pandas as pd
from sklearn.metrics import r2_score

from skgrn import GRNRegressor

PARTITIONS = 10
ROWS = 10_000
PASSES = 3
STORES = [f"store {k}" for k in range(40)]
STORE_EFFECT = dict(zip(STORES, np.random.default_rng(42).normal(0, 1, len(STORES)), strict=True))


def make_sales(seed, n_rows=ROWS):
    """One partition: ``n_rows`` rows drawn afresh from ``seed``."""
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


# 100,000 rows in 10 lazy partitions; nothing is generated until computed. meta, an
# empty frame with the partitions' columns and dtypes, spares Dask computing one to find out.
sales = dd.from_map(make_sales, range(PARTITIONS), meta=make_sales(0, n_rows=1).head(0))
test = make_sales(seed=PARTITIONS, n_rows=10_000)  # held out: a seed no partition uses

regressor = GRNRegressor(random_state=0)
for n_pass in range(1, PASSES + 1):
    for partition in sales.partitions:
        chunk = partition.compute()
        regressor.partial_fit(chunk.drop(columns="sales"), chunk["sales"])
    score = r2_score(test["sales"], regressor.predict(test.drop(columns="sales")))
    print(f"pass {n_pass}: {regressor.n_iter_:2d} epochs, test R² {score:.3f}")
print(f"{sales.npartitions} partitions x {PASSES} passes; {regressor.t_} rows seen")
