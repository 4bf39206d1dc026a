"""Gated residual networks as scikit-learn estimators."""

# Before Keras starts TensorFlow: give TensorFlow the thread limit of joblib's workers.
from skgrn import _threads  # noqa: F401, I001

from skgrn._quiet import quiet_native_start  # noqa: I001

try:
    with quiet_native_start():  # without TensorFlow's start-up log lines (skgrn/_quiet.py)
        import keras  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "skgrn needs Keras 3 with a backend. Install it with the CPU-only TensorFlow "
        "(pip install 'skgrn[cpu]') or the full one (pip install 'skgrn[tensorflow]')."
    ) from error

from skgrn import _kerasfactory, layers  # noqa: F401 (_kerasfactory registers names)
from skgrn._display import HistoryDisplay
from skgrn._persistence import load, save
from skgrn._version import InconsistentVersionWarning, __version__
from skgrn.classifier import GRNClassifier
from skgrn.regressor import GRNRegressor

__all__ = [
    "GRNClassifier",
    "GRNRegressor",
    "HistoryDisplay",
    "InconsistentVersionWarning",
    "__version__",
    "layers",
    "load",
    "save",
]
