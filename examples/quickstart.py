"""Quickstart: fit GRNClassifier and GRNRegressor on tables bundled with scikit-learn.

The estimators take DataFrames as they are: numeric columns are scaled inside
the estimator, so no StandardScaler is needed.
"""

from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.model_selection import train_test_split

from skgrn import GRNClassifier, GRNRegressor

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0, stratify=y)
classifier = GRNClassifier(random_state=0).fit(X_train, y_train)
print(f"GRNClassifier accuracy on breast_cancer: {classifier.score(X_test, y_test):.3f}")

X, y = load_diabetes(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
regressor = GRNRegressor(random_state=0).fit(X_train, y_train)
print(f"GRNRegressor R² on diabetes: {regressor.score(X_test, y_test):.3f}")
