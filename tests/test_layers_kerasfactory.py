"""skgrn's layers as a drop-in for KerasFactory's (issue 20): attribute names,
weight order, and the ``.keras`` files KerasFactory saved.

The files in tests/kerasfactory_fixtures/ were saved by KerasFactory 0.1.1
(see make_kerasfactory_fixtures.py there); KerasFactory is not needed to run these tests.
"""

import json
import zipfile
from pathlib import Path

import keras
import numpy as np
import pytest
from helpers import rtol

from skgrn.layers import GatedLinearUnit, GatedResidualNetwork, SlowNetwork

FIXTURES = Path(__file__).parent / "kerasfactory_fixtures"
EXPECTED = np.load(FIXTURES / "expected.npz")
#: The saved models: the layer class skgrn reads each as, and that layer's arguments.
MODELS = {
    "glu": (GatedLinearUnit, {"units": 3}),
    "grn_projected": (GatedResidualNetwork, {"units": 3, "dropout_rate": 0.1}),
    "grn_identity": (GatedResidualNetwork, {"units": 4, "dropout_rate": 0.2}),
    "slow": (SlowNetwork, {"input_dim": 4, "num_layers": 2, "units": 5}),
}

#: KerasFactory's GatedResidualNetwork creates its sublayers in ``build`` in this
#: order (the projection only when the input width differs from ``units``), so
#: its weights come in this order; its GatedLinearUnit's are ``linear`` then
#: ``sigmoid``. Checked both ways with set_weights against kerasfactory 0.1.1
#: (its weights into skgrn's layers and skgrn's into its, identical outputs).
KERASFACTORY_GRN_ORDER = [
    ("elu_dense", "kernel"),
    ("elu_dense", "bias"),
    ("linear_dense", "kernel"),
    ("linear_dense", "bias"),
    ("gated_linear_unit.linear", "kernel"),
    ("gated_linear_unit.linear", "bias"),
    ("gated_linear_unit.sigmoid", "kernel"),
    ("gated_linear_unit.sigmoid", "bias"),
    ("project", "kernel"),
    ("project", "bias"),
    ("layer_norm", "gamma"),
    ("layer_norm", "beta"),
]


def _np(tensor):
    return keras.ops.convert_to_numpy(tensor)


def _saved_weights(name):
    """The weights of the model KerasFactory saved as ``name``, in its order."""
    return [EXPECTED[f"{name}_weight_{i}"] for i in range(len(EXPECTED[f"{name}_paths"]))]


def _expected_grn_weights(grn, projects):
    weights = []
    for path, weight in KERASFACTORY_GRN_ORDER:
        if path == "project" and not projects:
            continue
        sublayer = grn
        for attribute in path.split("."):
            sublayer = getattr(sublayer, attribute)
        weights.append(getattr(sublayer, weight))
    return weights


@pytest.mark.parametrize("name", MODELS)
def test_kerasfactory_files_load_safely_with_identical_outputs(name):
    model = keras.saving.load_model(FIXTURES / f"{name}.keras", safe_mode=True)
    layer_class, arguments = MODELS[name]
    layer = model.layers[1]
    assert isinstance(layer, layer_class)
    assert {key: layer.get_config()[key] for key in arguments} == arguments
    for saved, weight in zip(_saved_weights(name), model.weights, strict=True):
        np.testing.assert_array_equal(_np(weight), saved, err_msg=weight.path)
    outputs = _np(model(EXPECTED["x"], training=False))
    np.testing.assert_allclose(outputs, EXPECTED[f"{name}_output"], rtol=rtol(1e-6), atol=1e-7)


@pytest.mark.parametrize("projects", [True, False], ids=["projected-skip", "identity-skip"])
def test_grn_weight_order_is_kerasfactorys(projects):
    grn = GatedResidualNetwork(3 if projects else 4, seed=0)
    grn(np.zeros((2, 4), "float32"))
    assert (grn.project is not None) == projects
    expected = _expected_grn_weights(grn, projects)
    assert [weight.path for weight in grn.weights] == [weight.path for weight in expected]
    # The same order as in the files KerasFactory saved: same kinds, same shapes.
    saved = "grn_projected" if projects else "grn_identity"
    saved_kinds = [path.rsplit("/", 1)[1] for path in EXPECTED[f"{saved}_paths"]]
    assert saved_kinds == [
        weight for path, weight in KERASFACTORY_GRN_ORDER if projects or path != "project"
    ]
    assert [w.shape for w in _saved_weights(saved)] == [tuple(w.shape) for w in grn.weights]


@pytest.mark.parametrize("name", MODELS)
def test_weights_transfer_with_set_weights(name):
    # KerasFactory's get_weights() into a fresh skgrn layer: its outputs.
    layer_class, arguments = MODELS[name]
    inputs = keras.Input((4,))
    model = keras.Model(inputs, layer_class(**arguments, seed=0)(inputs))
    model.set_weights(_saved_weights(name))
    outputs = _np(model(EXPECTED["x"], training=False))
    np.testing.assert_allclose(outputs, EXPECTED[f"{name}_output"], rtol=rtol(1e-6), atol=1e-7)
    # ...and skgrn's get_weights() in the order KerasFactory's set_weights reads.
    for ours, theirs in zip(model.get_weights(), _saved_weights(name), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_glu_sigmoid_is_the_gate():
    glu = GatedLinearUnit(3, seed=0)
    assert glu.sigmoid is glu.gate
    assert glu.gate.activation is keras.activations.sigmoid
    replacement = keras.layers.Dense(3, activation="sigmoid")
    glu.sigmoid = replacement
    assert glu.gate is replacement
    glu(np.zeros((2, 4), "float32"))
    assert replacement.built
    # Neither name is part of the configuration.
    assert set(glu.get_config()) == set(GatedLinearUnit(3).get_config())


def test_skgrn_saves_the_gate_under_its_own_name(tmp_path):
    # Files skgrn saved before the sigmoid alias hold the gate under "gate";
    # new files too, so older skgrn versions read them.
    inputs = keras.Input((4,))
    keras.Model(inputs, GatedLinearUnit(3, seed=0)(inputs)).save(tmp_path / "glu.keras")
    with zipfile.ZipFile(tmp_path / "glu.keras") as archive:
        h5 = archive.read("model.weights.h5")
    assert b"gate" in h5 and b"sigmoid" not in h5


def test_resaved_kerasfactory_slow_network_loads_again(tmp_path):
    model = keras.saving.load_model(FIXTURES / "slow.keras", safe_mode=True)
    model.save(tmp_path / "slow.keras")
    with zipfile.ZipFile(tmp_path / "slow.keras") as archive:
        config = json.loads(archive.read("config.json"))
    # Saved as KerasFactory saves it, so KerasFactory reads it too.
    assert config["config"]["layers"][1]["registered_name"] == "kerasfactory.layers>SlowNetwork"
    reloaded = keras.saving.load_model(tmp_path / "slow.keras", safe_mode=True)
    np.testing.assert_array_equal(_np(reloaded(EXPECTED["x"])), _np(model(EXPECTED["x"])))


def test_unknown_argument_in_a_kerasfactory_file_fails_clearly(tmp_path):
    with zipfile.ZipFile(FIXTURES / "grn_projected.keras") as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"][1]["config"]["residual_scale"] = 0.5
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(tmp_path / "grn.keras", "w") as archive:
        for filename, data in members.items():
            archive.writestr(filename, data)
    with pytest.raises(Exception, match="residual_scale"):
        keras.saving.load_model(tmp_path / "grn.keras", safe_mode=True)
