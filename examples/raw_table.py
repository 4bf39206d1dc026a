"""A raw table straight into the estimator: text categories, booleans, missing values.

No ColumnTransformer, imputer or scaler: numeric columns are scaled robustly
inside the estimator, missing values get an indicator, and each text or
category column gets a learned embedding, with no limit on the number of
categories. A category never seen during fit is mapped to an "unknown" code.
"""

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from skgrn import GRNRegressor

rng = np.random.default_rng(0)
n_rows = 3000
shop = rng.integers(0, 500, n_rows)  # 500 shops: too many for HistGradientBoosting's 255
table = pd.DataFrame(
    {
        "shop": [f"shop {k}" for k in shop],
        "region": rng.choice(["north", "south", "east", "west"], n_rows),
        "online": rng.random(n_rows) < 0.3,
        "basket": rng.lognormal(3, 1, n_rows),  # heavy-tailed amounts
        "visits": rng.poisson(4, n_rows).astype(float),
    }
)
table.loc[rng.random(n_rows) < 0.1, "visits"] = np.nan
table.loc[rng.random(n_rows) < 0.05, "region"] = None
shop_effect = rng.normal(0, 20, 500)
revenue = (
    shop_effect[shop]
    + 2.0 * np.log(table["basket"])
    + 15.0 * table["online"]
    + 3.0 * table["visits"].fillna(4)
    + rng.normal(0, 5, n_rows)
    + 1000.0
)

X_train, X_test, y_train, y_test = train_test_split(table, revenue, random_state=0)
model = GRNRegressor(random_state=0).fit(X_train, y_train)
print(f"R² on held-out rows: {model.score(X_test, y_test):.3f}")

new_customer = pd.DataFrame(
    {
        "shop": ["a shop opened after training"],
        "region": [None],
        "online": [True],
        "basket": [25.0],
        "visits": [np.nan],
    }
)
print(f"Prediction for an unseen shop with missing values: {model.predict(new_customer)[0]:.1f}")
