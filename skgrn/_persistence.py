"""Saving and loading estimators without pickle.

A file written by :func:`save` is a zip archive of exactly these members:

* ``skgrn.json``: the format, the versions that wrote it, the estimator's
  class, parameters and fitted state, as plain JSON;
* ``arrays.npz``: the numeric arrays the JSON refers to, read with
  ``allow_pickle=False``;
* ``model.keras``: the fitted network in Keras' own format, read with
  ``safe_mode=True`` (only for a fitted estimator).

Reading it runs no code from the file. The JSON can only describe values of a
fixed list of types: JSON's own, NumPy arrays and scalars, pandas indexes,
random states, and the few classes an estimator's state holds (listed in
``_CLASSES``). Anything else is refused, when saving and when loading.
"""

import io
import json
import os
import tempfile
import zipfile
from dataclasses import fields, is_dataclass
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import sklearn
from sklearn.preprocessing import LabelBinarizer

from skgrn._network import NetworkSpec, weights_of
from skgrn._tabular import CategoricalColumn, NumericColumn, TableLayout, TargetMeans
from skgrn._version import __version__, check_version
from skgrn.classifier import GRNClassifier
from skgrn.regressor import GRNRegressor

FORMAT = "skgrn-estimator"
FORMAT_VERSION = 1
_HEADER, _ARRAYS, _MODEL = "skgrn.json", "arrays.npz", "model.keras"
_ESTIMATORS = {cls.__name__: cls for cls in (GRNClassifier, GRNRegressor)}
_CLASSES = {
    cls.__name__: cls
    for cls in (
        TableLayout,
        NumericColumn,
        CategoricalColumn,
        TargetMeans,
        NetworkSpec,
        LabelBinarizer,
    )
}


# -- the public functions -------------------------------------------------------------
def save(estimator, path):
    """Write ``estimator`` to the file ``path``, without pickle.

    The file replaces ``path`` only once it is complete: an error while
    saving leaves an existing file as it was.

    Parameters
    ----------
    estimator : GRNClassifier or GRNRegressor
        Fitted or not.
    path : str or path-like
        The file to write; by convention it ends in ``.skgrn``.
    """
    if type(estimator) not in _ESTIMATORS.values():
        raise TypeError(
            f"skgrn.save saves GRNClassifier and GRNRegressor, got {type(estimator).__name__}."
        )
    path = Path(path)
    state = estimator.__getstate__()
    state.pop("_model_weights", None)
    state.pop("model_", None)
    arrays = {}
    header = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": {
            "skgrn": __version__,
            "keras": keras.__version__,
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "estimator": type(estimator).__name__,
        "params": _encode(estimator.get_params(deep=False), arrays, "params"),
        "state": _encode(state, arrays, "state"),
    }
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w") as archive:
            archive.writestr(_HEADER, json.dumps(header))
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            archive.writestr(_ARRAYS, buffer.getvalue())
            if hasattr(estimator, "model_"):
                with tempfile.TemporaryDirectory() as folder:
                    model_path = Path(folder) / _MODEL
                    estimator.model_.save(model_path)
                    archive.write(model_path, _MODEL)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path):
    """Read an estimator written by :func:`save`.

    Nothing in the file is executed. A file that is not one :func:`save`
    wrote (a pickle, another archive, a network with code in it) raises
    ``ValueError``. A file written by another skgrn version loads with an
    :class:`InconsistentVersionWarning`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    estimator : GRNClassifier or GRNRegressor
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise ValueError(
            f"{path} is not a file written by skgrn.save: not a zip archive."
        ) from error
    with archive:
        names = set(archive.namelist())
        if not {_HEADER, _ARRAYS} <= names or not names <= {_HEADER, _ARRAYS, _MODEL}:
            raise ValueError(
                f"{path} is not a file written by skgrn.save: it holds {sorted(names)}, "
                f"not {_HEADER}, {_ARRAYS} and optionally {_MODEL}."
            )
        try:
            header = json.loads(archive.read(_HEADER))
        except ValueError as error:
            raise ValueError(f"{path}: {_HEADER} is not valid JSON.") from error
        if not isinstance(header, dict) or header.get("format") != FORMAT:
            raise ValueError(f"{path} is not a file written by skgrn.save.")
        if header.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{path} has format version {header.get('format_version')!r}; this skgrn "
                f"reads version {FORMAT_VERSION}."
            )
        cls = _ESTIMATORS.get(header.get("estimator"))
        if cls is None:
            raise ValueError(f"{path} holds an unknown estimator {header.get('estimator')!r}.")
        try:
            with np.load(io.BytesIO(archive.read(_ARRAYS)), allow_pickle=False) as stored:
                arrays = {name: stored[name] for name in stored.files}
        except ValueError as error:
            raise ValueError(
                f"{path}: {_ARRAYS} holds something other than plain arrays ({error})."
            ) from error
        try:
            params = _decode(header.get("params"), arrays)
            state = _decode(header.get("state"), arrays)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            raise ValueError(
                f"{path}: the estimator's parameters or state are malformed."
            ) from error
        if not isinstance(params, dict) or not isinstance(state, dict):
            raise ValueError(f"{path}: the estimator's parameters or state are malformed.")
        if "_spec" in state and _MODEL not in names:
            raise ValueError(f"{path} holds a fitted estimator but no {_MODEL}.")
        if _MODEL in names:
            state["_model_weights"] = _network_weights(archive.read(_MODEL), path)

    versions = header.get("versions") or {}
    check_version(cls.__name__, versions.get("skgrn"))
    state["_skgrn_version"] = __version__  # checked above, once
    try:
        estimator = cls(**params)
        estimator.__setstate__(state)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(
            f"{path}: the estimator's parameters, state and network do not fit ({error})."
        ) from error
    return estimator


def _network_weights(data, path):
    """The weights of the Keras model in ``data`` (a ``.keras`` file), loaded safely."""
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / _MODEL
        model_path.write_bytes(data)
        try:
            model = keras.saving.load_model(model_path, compile=False, safe_mode=True)
        except Exception as error:
            raise ValueError(
                f"{path}: {_MODEL} is not a network skgrn can load safely ({error})."
            ) from error
    return weights_of(model)


# -- JSON with a fixed list of types -------------------------------------------------
def _encode(value, arrays, where):
    """``value`` as JSON, with numeric arrays moved to ``arrays`` under fresh names."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return {"numpy_scalar": value.dtype.str, "value": _encode(value.item(), arrays, where)}
    if isinstance(value, list):
        return [_encode(item, arrays, where) for item in value]
    if isinstance(value, tuple):
        return {"tuple": [_encode(item, arrays, where) for item in value]}
    if isinstance(value, dict):
        return {
            "dict": [
                [_encode(k, arrays, where), _encode(v, arrays, where)] for k, v in value.items()
            ]
        }
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufcUSmM":
            name = f"array_{len(arrays)}"
            arrays[name] = value
            return {"array": name}
        if value.dtype == object:
            return {
                "object_array": [_encode(item, arrays, where) for item in value.ravel().tolist()],
                "shape": list(value.shape),
            }
    if isinstance(value, pd.Index):
        return {
            "index": _encode(value.to_numpy(dtype=object), arrays, where),
            "dtype": str(value.dtype),
        }
    if isinstance(value, np.random.RandomState):
        return {"random_state": _encode(value.get_state(), arrays, where)}
    name = type(value).__name__
    if _CLASSES.get(name) is type(value):
        if is_dataclass(value):
            attributes = {field.name: getattr(value, field.name) for field in fields(value)}
        else:
            attributes = vars(value)
        return {"object": name, "attributes": _encode(attributes, arrays, where)}
    raise TypeError(
        f"skgrn.save cannot store a value of type {type(value).__qualname__} (in the "
        f"estimator's {where}) without pickle."
    )


def _decode(value, arrays):
    """The value :func:`_encode` encoded; refuses anything it could not have written."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, arrays) for item in value]
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise ValueError(f"Unexpected value in an skgrn file: {str(value)[:80]}")
    (tag, content), *rest = value.items()
    if tag == "tuple":
        return tuple(_decode(item, arrays) for item in content)
    if tag == "dict":
        return {_decode(k, arrays): _decode(v, arrays) for k, v in content}
    if tag == "array" and content in arrays:
        return arrays[content]
    if tag == "numpy_scalar":
        return np.dtype(content).type(_decode(value["value"], arrays))
    if tag == "object_array":
        items = np.empty(len(content), dtype=object)
        items[:] = [_decode(item, arrays) for item in content]
        return items.reshape(value["shape"])
    if tag == "index":
        return pd.Index(_decode(content, arrays), dtype=value["dtype"])
    if tag == "random_state":
        random_state = np.random.RandomState()
        random_state.set_state(_decode(content, arrays))
        return random_state
    if tag == "object" and content in _CLASSES:
        cls = _CLASSES[content]
        attributes = _decode(value["attributes"], arrays)
        if is_dataclass(cls):
            return cls(**attributes)
        instance = cls()
        for name, attribute in attributes.items():
            setattr(instance, name, attribute)
        return instance
    raise ValueError(f"Unexpected value in an skgrn file: {str(value)[:80]}")
