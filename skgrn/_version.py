"""The package version, and the warning for estimators saved by another one."""

import warnings

__version__ = "0.1.0"


class InconsistentVersionWarning(UserWarning):
    """An estimator saved or pickled by another version of skgrn was loaded.

    As scikit-learn's warning of the same name: the estimator may not behave
    as it did, or may fail; refit it with this version where you can.

    Attributes
    ----------
    estimator_name : str
    current_version : str
    original_version : str
    """

    def __init__(self, *, estimator_name, current_version, original_version):
        self.estimator_name = estimator_name
        self.current_version = current_version
        self.original_version = original_version

    def __str__(self):
        return (
            f"Trying to load {self.estimator_name} saved by skgrn {self.original_version} "
            f"with skgrn {self.current_version}. This might lead to breaking code or "
            "invalid results; refit the estimator with this version where you can."
        )


def check_version(estimator_name, original_version):
    """Warn with :class:`InconsistentVersionWarning` unless ``original_version`` is this one."""
    if original_version != __version__:
        warnings.warn(
            InconsistentVersionWarning(
                estimator_name=estimator_name,
                current_version=__version__,
                original_version=str(original_version),
            ),
            stacklevel=3,
        )
