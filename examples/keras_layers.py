"""Use the GRN layers directly in a hand-built Keras model."""

import tempfile
from pathlib import Path

import keras
import numpy as np

from skgrn.layers import GatedResidualNetwork, SlowNetwork

rng = np.random.default_rng(0)
X = rng.normal(size=(512, 8)).astype("float32")
y = (X[:, 0] * X[:, 1] + np.sin(X[:, 2]) > 0).astype("float32")

inputs = keras.Input(shape=(8,))
hidden = GatedResidualNetwork(units=32, dropout_rate=0.1, seed=0)(inputs)
hidden = SlowNetwork(input_dim=32, num_layers=2, units=64, seed=1)(hidden)
hidden = GatedResidualNetwork(units=16, dropout_rate=0.1, seed=2)(hidden)
outputs = keras.layers.Dense(1, activation="sigmoid")(hidden)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X, y, epochs=20, batch_size=64, verbose=0)
print(f"training accuracy: {model.evaluate(X, y, verbose=0)[1]:.3f}")

# The layers are registered with Keras: the model reloads in safe mode with no
# custom_objects and predicts identically.
with tempfile.TemporaryDirectory() as directory:
    path = Path(directory) / "model.keras"
    model.save(path)
    reloaded = keras.saving.load_model(path, safe_mode=True)
np.testing.assert_array_equal(reloaded.predict(X, verbose=0), model.predict(X, verbose=0))
print("reloaded model predicts identically")
