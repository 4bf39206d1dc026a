"""A notebook walkthrough: fit on a DataFrame, watch training, see which columns mattered.

The ``# %%`` markers make cells in Jupyter (jupytext), VS Code and PyCharm;
run as a script, it prints what the cells show::

    python examples/notebook_walkthrough.py
    python examples/notebook_walkthrough.py docs/images/history.png  # also save the history plot

Needs matplotlib (``pip install "skgrn[plot]"``).
"""

# %%
import sys
import tempfile
from pathlib import Path

import joblib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

from skgrn import GRNClassifier, HistoryDisplay

# %% [markdown]
# A table bundled with scikit-learn, as a DataFrame: 178 wines, 13 measurements,
# three cultivars.

# %%
X, y = load_wine(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
X_train.head()

# %% [markdown]
# ``variable_selection=True`` starts the network with a variable selection
# network, which gives ``feature_importances_``. Small tables train on every
# row by default; ``early_stopping=True`` holds out a validation set, so the
# history has a validation curve. ``verbose=1`` shows a progress bar in a
# notebook or terminal.

# %%
clf = GRNClassifier(
    variable_selection=True,
    early_stopping=True,
    validation_fraction=0.2,
    random_state=0,
    verbose=1,
)
clf.fit(X_train, y_train)
print(
    f"test accuracy {clf.score(X_test, y_test):.3f} after {clf.n_iter_} epochs; "
    f"weights of epoch {clf.best_epoch_} kept"
)

# %% [markdown]
# In a notebook, the estimator's cell output is scikit-learn's HTML view of
# it; ``summary()`` lists the network that ``fit`` built.

# %%
clf.summary()

# %% [markdown]
# The training history, a row per epoch, and its plot with the best epoch marked.

# %%
history = pd.DataFrame(clf.history_)
print(history.tail(3).round(4).to_string())
history_plot = HistoryDisplay.from_estimator(clf)
history_plot.ax_.set_yscale("log")
if len(sys.argv) > 1:
    history_plot.figure_.set_size_inches(5, 3.2)
    history_plot.figure_.tight_layout()
    history_plot.figure_.savefig(sys.argv[1], dpi=80)
    print(f"history plot saved to {sys.argv[1]}")

# %% [markdown]
# Which columns mattered? The selection weights, averaged over the training
# rows, against scikit-learn's permutation importance on the test rows (the
# drop in accuracy when a column is shuffled). They measure different things
# (what the network reads, and what its predictions lose without it) but
# should broadly agree on the top columns.

# %%
permutation = permutation_importance(clf, X_test, y_test, n_repeats=20, random_state=0)
importances = pd.DataFrame(
    {
        "selection weight": clf.feature_importances_,
        "permutation": permutation.importances_mean,
    },
    index=X.columns,
).sort_values("selection weight", ascending=False)
print(importances.round(3).to_string())
agreement = importances.corr(method="spearman").iloc[0, 1]
top = set(importances.index[:5]) & set(importances["permutation"].nlargest(5).index)
print(f"rank correlation {agreement:.2f}; {len(top)} columns in both top fives")

fig, axes = plt.subplots(1, 2, figsize=(9, 4), sharey=True)
for ax, column in zip(axes, importances.columns, strict=True):
    importances[column].plot.barh(ax=ax, title=column)
axes[0].invert_yaxis()
fig.tight_layout()

# %% [markdown]
# Save and load: a fitted estimator pickles (joblib or pickle) with its
# network's weights, and predicts the same after loading.

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "wine.joblib"
    joblib.dump(clf, path)
    loaded = joblib.load(path)
    size = path.stat().st_size
same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
print(f"saved {size / 1024:.0f} KiB; loaded model predicts the same: {same}")
