"""Golden predictions: a few fixed fits whose outputs are pinned in tests/golden/.

They guard refactorings of the fit (issue 17): whatever moves inside skgrn, these
fits must predict what they predicted when the file was written. On the machine
and library versions that wrote it (its fingerprint) the comparison is to the
last bit; elsewhere floating-point kernels may round differently, and a few
epochs amplify that, so it allows relative differences of 1e-3.

Regenerate (only for an intended change of behaviour, said in the commit):
``python tests/test_golden.py``.
"""

import platform
import warnings
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning

from skgrn import GRNClassifier, GRNRegressor

GOLDEN = Path(__file__).parent / "golden" / "predictions.npz"


def _numeric_classification():
    return make_classification(160, 5, n_informative=3, n_classes=3, random_state=0)


def _numeric_regression():
    return make_regression(160, 5, noise=5.0, random_state=0)


def _mixed_regression():
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=160),
            "z": rng.uniform(size=160),
            "shop": pd.Categorical(rng.choice(["north", "south", "east", "west"], 160)),
        }
    )
    X.loc[::9, "z"] = np.nan
    y = 2.0 * (X["x"] > 0.3) + (X["shop"] == "north") + 0.1 * rng.normal(size=160)
    return X, y.to_numpy()


def _fit(estimator, X, y, calls=1, partial=False):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for _ in range(calls):
            estimator.partial_fit(X, y) if partial else estimator.fit(X, y)
    if isinstance(estimator, GRNClassifier):
        return estimator.predict_proba(X)
    return estimator.predict(X)


FITS = {
    "classifier": lambda: _fit(
        GRNClassifier(max_iter=6, random_state=0), *_numeric_classification()
    ),
    "regressor": lambda: _fit(GRNRegressor(max_iter=6, random_state=0), *_numeric_regression()),
    "categorical and missing": lambda: _fit(
        GRNRegressor(max_iter=6, random_state=0), *_mixed_regression()
    ),
    "variable selection": lambda: _fit(
        GRNClassifier(variable_selection=True, max_iter=6, random_state=0),
        *_numeric_classification(),
    ),
    "early stopping": lambda: _fit(
        GRNRegressor(early_stopping=True, n_iter_no_change=2, max_iter=30, random_state=0),
        *_mixed_regression(),
    ),
    "warm start": lambda: _fit(
        GRNClassifier(warm_start=True, max_iter=3, random_state=0),
        *_numeric_classification(),
        calls=2,
    ),
    "one member": lambda: _fit(
        GRNClassifier(ensemble_size=1, numeric_embedding=None, max_iter=6, random_state=0),
        *_numeric_classification(),
    ),
    "one member a branch": lambda: _fit(
        GRNRegressor(ensemble_size=1, max_iter=6, random_state=0), *_mixed_regression()
    ),
    "partial fit": lambda: _fit(
        GRNRegressor(random_state=0), *_mixed_regression(), calls=3, partial=True
    ),
}


SIMD_FLAGS = {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile"}


def fingerprint():
    """What the rounding of a fit may depend on: the CPU and the numeric libraries."""
    import tensorflow as tf

    fields = dict(line.split(":", 1) for line in _cpuinfo() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    cpu = fields.get("model name", platform.machine())
    # The vector instructions decide which kernels TensorFlow and oneDNN pick.
    vectors = sorted(set(fields.get("flags", "").split()) & SIMD_FLAGS)
    return (
        f"{cpu} ({' '.join(vectors)}) | tensorflow {tf.__version__} | "
        f"keras {keras.__version__} | numpy {np.__version__}"
    )


def _cpuinfo():
    try:
        return Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return []


pytestmark = pytest.mark.tensorflow_only(reason="the golden fits were made on TensorFlow")


@pytest.mark.parametrize("name", FITS)
def test_fixed_fits_predict_as_when_pinned(name):
    golden = np.load(GOLDEN)
    predictions = FITS[name]()
    if str(golden["fingerprint"]) == fingerprint():
        np.testing.assert_array_equal(predictions, golden[name])
    else:
        np.testing.assert_allclose(predictions, golden[name], rtol=1e-3, atol=1e-4)


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    np.savez(GOLDEN, fingerprint=fingerprint(), **{name: fit() for name, fit in FITS.items()})
    print(f"wrote {GOLDEN} ({fingerprint()})")
