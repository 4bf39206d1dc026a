"""Save a fitted estimator with joblib and load it back.

The pickle holds the network's configuration and weights, not a TensorFlow
graph, so it is about the size of the weights and loads without any Keras
``custom_objects``. Like every pickle, only load files you trust.
"""

import tempfile
from pathlib import Path

import joblib
import numpy as np
from sklearn.datasets import load_iris

from skgrn import GRNClassifier

X, y = load_iris(return_X_y=True)
classifier = GRNClassifier(max_iter=100, random_state=0).fit(X, y)

with tempfile.TemporaryDirectory() as directory:
    path = Path(directory) / "grn.joblib"
    joblib.dump(classifier, path)
    weights_kb = sum(w.nbytes for w in classifier.model_.get_weights()) / 1024
    print(f"file: {path.stat().st_size / 1024:.0f} kB for {weights_kb:.0f} kB of weights")
    restored = joblib.load(path)

np.testing.assert_array_equal(restored.predict_proba(X), classifier.predict_proba(X))
print("restored estimator predicts identically:", restored.score(X, y) == classifier.score(X, y))
