"""scikit-learn's own estimator suite, one test per generated check."""

from helpers import ON_TENSORFLOW
from sklearn.utils.estimator_checks import parametrize_with_checks

from skgrn import GRNClassifier, GRNRegressor


def _expected_failed_checks(estimator):
    reasons = []
    if not ON_TENSORFLOW:
        # Outside TensorFlow the network computes in float32 (skgrn._engine.network_dtype):
        # weight 2 and two copies of a row round differently, beyond this check's rtol=1e-7.
        reasons.append("float32 arithmetic on this Keras backend; equal to about 1e-6")
    if estimator.variable_selection and isinstance(estimator, GRNRegressor):
        # The selection GRN starts with a small gain (skgrn._selection): its
        # averages then say which columns matter, but 200 epochs on this
        # check's 15 rows x 30 columns amplify the rounding differences
        # between weight 2 and two copies of a row to about 2e-6.
        reasons.append("training on 15 rows x 30 columns amplifies rounding to about 2e-6")
    expected = {}
    if reasons:
        expected["check_sample_weight_equivalence_on_dense_data"] = "; ".join(reasons)
    return expected


if ON_TENSORFLOW:
    ESTIMATORS = [GRNClassifier(), GRNRegressor()]
else:
    # Outside TensorFlow each step is one Keras train_on_batch call, and the two
    # branches that "auto" gives these small tables doubled the suite's time
    # there; the estimators' API is checked with one branch, and
    # tests/test_embeddings.py and tests/test_ensemble.py run both on any backend.
    ESTIMATORS = [GRNClassifier(numeric_embedding=None), GRNRegressor(numeric_embedding=None)]
if ON_TENSORFLOW:
    # On JAX the two variable-selection variants took most of the suite's
    # 26 minutes (one train_on_batch call per step); there tests/test_selection.py
    # covers variable selection, and CI stays within its time.
    # They read the numbers plainly: with the two branches that "auto" gives
    # these small tables, their checks took twice as long, and
    # tests/test_embeddings.py covers selection over both branches.
    ESTIMATORS += [
        GRNClassifier(variable_selection=True, numeric_embedding=None),
        GRNRegressor(variable_selection=True, numeric_embedding=None),
    ]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=_expected_failed_checks)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
