"""Quickstart: fit GRNClassifier and GRNRegressor on datasets bundled with scikit-learn."""

from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skgrn import GRNClassifier, GRNRegressor

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
classifier = make_pipeline(StandardScaler(), GRNClassifier(early_stopping=True, random_state=0))
classifier.fit(X_train, y_train)
print(f"GRNClassifier accuracy on breast_cancer: {classifier.score(X_test, y_test):.3f}")

X, y = load_diabetes(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
regressor = make_pipeline(StandardScaler(), GRNRegressor(early_stopping=True, random_state=0))
regressor.fit(X_train, y_train)
print(f"GRNRegressor R² on diabetes: {regressor.score(X_test, y_test):.3f}")
