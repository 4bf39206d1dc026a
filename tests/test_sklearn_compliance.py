"""scikit-learn's own estimator suite, one test per generated check."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skgrn import GRNClassifier, GRNRegressor


@parametrize_with_checks([GRNClassifier(), GRNRegressor()])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
