"""Tune a GRNClassifier inside a Pipeline with GridSearchCV."""

from sklearn.datasets import load_wine
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from skgrn import GRNClassifier

X, y = load_wine(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)

pipeline = Pipeline(
    [("scale", StandardScaler()), ("grn", GRNClassifier(max_iter=100, random_state=0))]
)
search = GridSearchCV(
    pipeline,
    param_grid={"grn__block_units": [16, 32], "grn__learning_rate_init": [1e-3, 1e-2]},
    cv=3,
)
search.fit(X_train, y_train)
print("best parameters:", search.best_params_)
print(f"cross-validated accuracy: {search.best_score_:.3f}")
print(f"test accuracy: {search.score(X_test, y_test):.3f}")
