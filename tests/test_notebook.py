"""What a notebook shows of an estimator: its HTML representation and the network's summary."""

import re
from pathlib import Path

import numpy as np
import pytest
from helpers import percent_cells, run_in_a_kernel, subprocess_env
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


WALKTHROUGH = Path(__file__).parents[1] / "examples" / "notebook_walkthrough.py"


def _outputs(cell, kind):
    return [output for output in cell.outputs if kind in output.get("data", {})]


@pytest.mark.slow
@pytest.mark.tensorflow_only(reason="a TensorFlow-backed kernel, as the README sets up")
def test_the_walkthrough_runs_unchanged_in_a_jupyter_kernel(tmp_path):
    cells = percent_cells(WALKTHROUGH)
    notebook = run_in_a_kernel(cells, subprocess_env(), cwd=str(tmp_path))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    sources = [cell.source for cell in code]
    # The estimator's HTML view, fitted.
    (view,) = [cell for cell in code if cell.source.startswith("clf  #")]
    (html,) = _outputs(view, "text/html")
    assert "GRNClassifier" in html["data"]["text/html"] and "Fitted" in html["data"]["text/html"]
    # The history plot and the importances' bars, drawn inline.
    assert sum(len(_outputs(cell, "image/png")) for cell in code) >= 2
    # The rows' selection weights, as a table.
    (rows,) = [cell for cell in code if "selection_weights" in cell.source]
    assert _outputs(rows, "text/html")
    # skgrn.save, not joblib; the loaded estimator predicts the same.
    assert any("skgrn.save(clf" in source for source in sources)
    printed = "".join(out.get("text", "") for cell in code for out in cell.outputs)
    assert "loaded model predicts the same: True" in printed
    # The kernel's own arguments were not taken for a path to save the plot to.
    assert "history plot saved" not in printed and list(tmp_path.iterdir()) == []
    # The first cell is the title, not a docstring echoed back.
    assert notebook.cells[0].cell_type == "markdown"
