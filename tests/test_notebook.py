"""What a notebook shows of an estimator: its HTML representation and the network's summary."""

import re

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import estimator_html_repr

from skgrn import GRNClassifier, GRNRegressor


def _without_ids(html):
    return re.sub(r"sk-(container|estimator)-id-\d+", "", html)


@pytest.mark.parametrize("Estimator", [GRNClassifier, GRNRegressor])
def test_html_repr_shows_the_changed_parameters(Estimator):
    est = Estimator(n_blocks=2, variable_selection=True, devices=["/cpu:0"])
    html = est._repr_html_()
    # The same page as scikit-learn's own function makes, up to its element ids.
    assert _without_ids(html) == _without_ids(estimator_html_repr(est))
    assert Estimator.__name__ in html and "variable_selection" in html and "n_blocks" in html
    assert "text/html" in est._repr_mimebundle_()
    assert ">Not fitted<" in html and "Fitted attributes" not in html


def test_html_repr_of_a_fitted_estimator_in_a_pipeline():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    est = GRNRegressor(variable_selection=True, max_iter=2, random_state=0)
    pipe = make_pipeline(StandardScaler(), est)
    with pytest.warns(Warning):  # max_iter=2 does not converge
        pipe.fit(X, X[:, 0])
    html = pipe._repr_html_()
    assert "GRNRegressor" in html and "StandardScaler" in html
    # scikit-learn lists the fitted attributes, the network among them.
    assert ">Fitted<" in html and "Fitted attributes" in html
    for attribute in ("feature_importances_", "history_", "model_", "n_iter_"):
        assert attribute in html


def test_summary_lists_the_fitted_network():
    est = GRNRegressor(variable_selection=True, ensemble_size=2, max_iter=1)
    with pytest.raises(NotFittedError):
        est.summary()
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.warns(Warning):  # max_iter=1 does not converge
        est.fit(X, X[:, 0])
    lines = []
    assert est.summary(print_fn=lines.append) is None
    text = "\n".join(lines)
    for layer in ("variable_selection", "members", "grn_0", "logits", "Total params"):
        assert layer in text


def test_summary_prints_by_default(capsys):
    X = np.random.default_rng(0).normal(size=(30, 3))
    with pytest.warns(Warning):
        est = GRNClassifier(max_iter=1).fit(X, X[:, 0] > 0)
    est.summary()
    assert "grn_0" in capsys.readouterr().out
