"""Make the files of tests/kerasfactory_fixtures/: models saved by KerasFactory.

Each ``.keras`` file is a tiny model that KerasFactory 0.1.1 saved, one of its
layers on a 4-feature input; ``expected.npz`` holds the input ``x`` and, for
each model, its output (``<name>_output``), its weights in the order of
``model.get_weights()`` (``<name>_weight_<i>``) and their paths
(``<name>_paths``). tests/test_layers_kerasfactory.py loads the files with only
skgrn installed and compares.

Made once, with Python 3.11.7, kerasfactory 0.1.1, keras 3.15.1,
tensorflow-cpu 2.21.0 and numpy 2.4.6, in a throwaway virtual environment
(kerasfactory is no dependency of skgrn or of its tests; it imports plotly
without declaring it)::

    python3 -m venv /tmp/kfvenv
    /tmp/kfvenv/bin/pip install kerasfactory==0.1.1 keras==3.15.1 \
        tensorflow-cpu==2.21.0 numpy==2.4.6 plotly
    /tmp/kfvenv/bin/python tests/kerasfactory_fixtures/make_kerasfactory_fixtures.py

Keras stores the members of a ``.keras`` archive uncompressed; they are
zipped again with deflate, byte for byte the same, to keep the files small.

Do not regenerate them: they are what KerasFactory wrote.
"""

import zipfile
from pathlib import Path

import keras
import numpy as np

HERE = Path(__file__).parent
N_FEATURES = 4


def models():
    """The saved models, by file name: each of the three layers, and the GRN with
    its skip path projected (4 features to 3 units) and not (4 to 4)."""
    # Imported here: pytest's --doctest-modules imports this module, where
    # kerasfactory is not installed.
    from kerasfactory.layers import GatedLinearUnit, GatedResidualNetwork, SlowNetwork

    layers = {
        "glu": GatedLinearUnit(units=3),
        "grn_projected": GatedResidualNetwork(units=3, dropout_rate=0.1),
        "grn_identity": GatedResidualNetwork(units=N_FEATURES, dropout_rate=0.2),
        "slow": SlowNetwork(input_dim=N_FEATURES, num_layers=2, units=5),
    }
    for name, layer in layers.items():
        inputs = keras.Input((N_FEATURES,))
        yield name, keras.Model(inputs, layer(inputs), name=name)


def compress(path):
    """Rewrite the zip archive ``path`` with its members deflated."""
    with zipfile.ZipFile(path) as archive:
        members = [(info.filename, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for filename, data in members:
            archive.writestr(filename, data)


def main():
    keras.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    arrays = {"x": rng.normal(size=(6, N_FEATURES)).astype("float32")}
    for name, model in models():
        # Random values everywhere (not zero biases, unit gains): a weight in
        # the wrong place changes the output.
        weights = [rng.normal(size=w.shape).astype("float32") for w in model.get_weights()]
        model.set_weights(weights)
        model.save(HERE / f"{name}.keras")
        compress(HERE / f"{name}.keras")
        arrays[f"{name}_output"] = keras.ops.convert_to_numpy(model(arrays["x"], training=False))
        arrays[f"{name}_paths"] = np.array([w.path for w in model.weights])
        arrays.update({f"{name}_weight_{i}": w for i, w in enumerate(weights)})
    np.savez_compressed(HERE / "expected.npz", **arrays)


if __name__ == "__main__":
    main()
