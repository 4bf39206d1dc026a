"""Gated residual networks as scikit-learn estimators."""

from skgrn import layers
from skgrn.classifier import GRNClassifier
from skgrn.regressor import GRNRegressor

__all__ = ["GRNClassifier", "GRNRegressor", "layers"]
__version__ = "0.1.0"
