"""Data-parallel training on several devices (``devices=``, TensorFlow's MirroredStrategy)."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from helpers import fit_quietly
from sklearn.datasets import make_classification, make_regression

import skgrn._engine
from skgrn import GRNClassifier, GRNRegressor

mirrored_strategy = pytest.mark.tensorflow_only(
    reason="devices= is TensorFlow's MirroredStrategy; other backends refuse it (tested below)"
)

# Several minibatches per epoch, an odd batch size (the devices' shares differ by a
# row, and the last batch is short) and early stopping on a validation split.
PARAMS = dict(random_state=0, max_iter=15, batch_size=201, early_stopping=True)


def _regression():
    return make_regression(n_samples=900, n_features=6, noise=5.0, random_state=0)


@mirrored_strategy
def test_one_device_trains_like_the_default_device():
    X, y = _regression()
    single = fit_quietly(GRNRegressor(**PARAMS), X, y)
    mirrored = fit_quietly(GRNRegressor(devices=["/cpu:0"], **PARAMS), X, y)
    assert mirrored.n_iter_ == single.n_iter_
    np.testing.assert_allclose(mirrored.predict(X), single.predict(X), rtol=1e-9, atol=1e-9)


# Logical devices are configured once per process, before TensorFlow starts:
# the two-device runs need a fresh interpreter, whose script starts with this.
TWO_CPUS = textwrap.dedent(
    """
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    """
)


def run_on_two_cpus(script, *args):
    """Run ``script`` in a fresh interpreter whose CPU is split into two logical
    devices; return the JSON it prints last."""
    import json

    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run(
        [sys.executable, "-c", TWO_CPUS + script, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


TWO_DEVICES = textwrap.dedent(
    """
    import json, sys, warnings
    import numpy as np
    from sklearn.datasets import make_classification, make_regression
    from skgrn import GRNClassifier, GRNRegressor
    warnings.simplefilter("ignore")
    params = json.loads(sys.argv[1])
    out = {}
    X, y = make_regression(n_samples=900, n_features=6, noise=5.0, random_state=0)
    Xc, yc = make_classification(n_samples=900, n_features=6, n_classes=3,
                                 n_informative=4, random_state=0)
    for devices in (None, ["/cpu:0", "/cpu:1"]):
        reg = GRNRegressor(devices=devices, **params).fit(X, y)
        clf = GRNClassifier(devices=devices, **params).fit(Xc, yc)
        out[str(devices)] = {
            "reg": reg.predict(X).tolist(), "reg_iter": reg.n_iter_,
            "reg_loss": reg.history_["loss"],
            "clf": clf.predict_proba(Xc).tolist(), "clf_iter": clf.n_iter_,
        }
    print(json.dumps(out))
    """
)


@mirrored_strategy
@pytest.mark.slow
def test_two_devices_train_like_one():
    import json

    runs = run_on_two_cpus(TWO_DEVICES, json.dumps(PARAMS))
    single, mirrored = runs["None"], runs["['/cpu:0', '/cpu:1']"]
    # Same epochs, same early stopping; the sums of the two devices' gradients
    # differ from one device's only in rounding.
    assert mirrored["reg_iter"] == single["reg_iter"]
    assert mirrored["clf_iter"] == single["clf_iter"]
    np.testing.assert_allclose(mirrored["reg_loss"], single["reg_loss"], rtol=1e-9)
    np.testing.assert_allclose(mirrored["reg"], single["reg"], rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(mirrored["clf"], single["clf"], rtol=1e-9, atol=1e-12)
    # ...but they do differ: the work really was split.
    assert mirrored["reg"] != single["reg"] or mirrored["clf"] != single["clf"]


@mirrored_strategy
@pytest.mark.parametrize(
    "devices, error, match",
    [
        (["/gpu:7"], ValueError, "no device '/gpu:7'"),
        (["/cpu:0", "/CPU:0"], ValueError, "names a device twice"),
        ([], ValueError, "at least one device"),
        ([0], TypeError, "device names"),
    ],
)
def test_devices_that_cannot_be_used_are_refused_before_training(devices, error, match):
    X, y = _regression()
    regressor = GRNRegressor(devices=devices, max_iter=2)
    with pytest.raises(error, match=match):
        regressor.fit(X, y)
    assert not hasattr(regressor, "model_")


def test_devices_need_the_tensorflow_backend(monkeypatch):
    monkeypatch.setattr(skgrn._engine, "_on_tensorflow", lambda: False)
    X, y = make_classification(n_samples=50, random_state=0)
    with pytest.raises(ValueError, match="MirroredStrategy.*backend"):
        GRNClassifier(devices=["/cpu:0"], max_iter=2).fit(X, y)


DROPOUT_MASKS = textwrap.dedent(
    """
    import json, warnings
    import numpy as np
    from skgrn import GRNRegressor
    from skgrn._engine import get_trainer
    warnings.simplefilter("ignore")
    X = np.random.RandomState(0).randn(64, 4)
    devices = ("/cpu:0", "/cpu:1")
    reg = GRNRegressor(devices=list(devices), dropout_rate=0.5, numeric_embedding=None,
                       max_iter=1, random_state=0).fit(X, X[:, 0])
    trainer = get_trainer(reg._spec, devices)
    rows = tf.constant(reg._layout.encode(reg._check_table(X[:8], reset=False)))
    # The same rows on both devices, with dropout on, as in a training step.
    out = trainer._strategy.run(lambda x: trainer._logits(x, training=True), args=(rows,))
    first, second = [t.numpy() for t in trainer._strategy.experimental_local_results(out)]
    without = trainer._logits(rows, training=False).numpy()
    print(json.dumps({"same": bool(np.array_equal(first, second)),
                      "dropped": bool(not np.array_equal(first, without))}))
    """
)


@mirrored_strategy
@pytest.mark.slow
def test_devices_draw_the_same_dropout_masks_for_their_shares():
    """Decided, and documented in README ("Several devices"): every device reads
    the dropout layers' seed state, so row i of each device's share of a batch
    gets the same mask. Drawing a mask per device would need a device-dependent
    seed in every dropout layer; dropout is off by default."""
    assert run_on_two_cpus(DROPOUT_MASKS) == {"same": True, "dropped": True}
