"""Save a fitted estimator and load it back: safely with skgrn.save, or with joblib.

``skgrn.save`` writes one file (plain JSON and NumPy arrays, the network's
weights among them) that ``skgrn.load`` reads without pickle and without
running anything in the file, so a file from a colleague is safe to open.
joblib (pickle) also works, and is the file to use only for your own trusted
files.
"""

import tempfile
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_iris

import skgrn
from skgrn import GRNClassifier

X, y = load_iris(return_X_y=True)
classifier = GRNClassifier(max_iter=100, random_state=0).fit(X, y)

with tempfile.TemporaryDirectory() as directory:
    safe_path = Path(directory) / "grn.skgrn"
    skgrn.save(classifier, safe_path)
    safely_restored = skgrn.load(safe_path)

    pickle_path = Path(directory) / "grn.joblib"
    joblib.dump(classifier, pickle_path)
    restored = joblib.load(pickle_path)

    weights_kb = sum(w.nbytes for w in classifier.model_.get_weights()) / 1024
    print(
        f"skgrn.save: {safe_path.stat().st_size / 1024:.0f} kB, joblib: "
        f"{pickle_path.stat().st_size / 1024:.0f} kB, for {weights_kb:.0f} kB of weights"
    )

for copy in (safely_restored, restored):
    np.testing.assert_array_equal(copy.predict_proba(X), classifier.predict_proba(X))
print("both copies predict identically:", safely_restored.score(X, y) == restored.score(X, y))
