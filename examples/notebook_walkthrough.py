# %% [markdown]
# # A notebook walkthrough
# Fit on a DataFrame, watch training, see which columns mattered, for the
# table and for each row.
#
# The ``# %%`` markers make cells in Jupyter (jupytext), VS Code and PyCharm.
# Run as a script, it prints what the cells show:
# ``python examples/notebook_walkthrough.py``, and
# ``python examples/notebook_walkthrough.py docs/images/history.png`` also
# saves the history plot. Needs matplotlib (``pip install "skgrn[plot]"``).

# %%
import sys
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.datasets import load_wine
from sklearn.inspection import permutation_importance
from sklearn.model_selection import train_test_split

import skgrn
from skgrn import GRNClassifier, HistoryDisplay

# As a script, an argument is where to save the history plot; in a Jupyter
# kernel, sys.argv holds the kernel's own arguments ("-f kernel.json").
plot_path = sys.argv[1] if len(sys.argv) == 2 and "ipykernel" not in sys.modules else None

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
# In a notebook, a cell that ends with the estimator shows scikit-learn's
# HTML view of it: its parameters, and once fitted, its fitted attributes.

# %%
clf  # noqa: B018 - a cell's last expression is what the notebook shows

# %% [markdown]
# ``summary()`` lists the network that ``fit`` built.

# %%
clf.summary()

# %% [markdown]
# The training history, a row per epoch, and its plot with the best epoch marked.

# %%
history = pd.DataFrame(clf.history_)
print(history.tail(3).round(4).to_string())
history_plot = HistoryDisplay.from_estimator(clf)
history_plot.ax_.set_yscale("log")
if plot_path is not None:
    history_plot.figure_.set_size_inches(5, 3.2)
    history_plot.figure_.tight_layout()
    history_plot.figure_.savefig(plot_path, dpi=80)
    print(f"history plot saved to {plot_path}")

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
# And for each row: ``selection_weights`` gives the weights the network put
# on each column for that row (each row sums to 1). Their average over the
# training rows is ``feature_importances_``.

# %%
row_weights = clf.selection_weights(X_test.head())
print(row_weights.round(3).T.to_string())
row_weights.round(3)

# %% [markdown]
# Save and load: ``skgrn.save`` writes the estimator to one file (its
# parameters, what fit learned and the network's weights, no pickled code),
# and ``skgrn.load`` gives back an estimator that predicts the same.

# %%
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "wine.skgrn"
    skgrn.save(clf, path)
    loaded = skgrn.load(path)
    size = path.stat().st_size
same = np.array_equal(loaded.predict_proba(X_test), clf.predict_proba(X_test))
print(f"saved {size / 1024:.0f} KiB; loaded model predicts the same: {same}")
