"""Saving and loading estimators without pickle.

A file written by :func:`save` is a zip archive of exactly two members:

* ``skgrn.json``: the format and its version, the versions that wrote it, the
  estimator's class, its parameters, its fitted state (what
  ``BaseGRN._export_state`` exports) and the names of its network's weights,
  as plain JSON;
* ``arrays.npz``: the numeric arrays the JSON refers to, the network's weights
  among them (``weight_0``, ``weight_1``, ... in the order of
  :func:`skgrn._network.stored_weights`, which every skgrn version wrote),
  read with ``allow_pickle=False``.

The network itself is not stored: the state's NetworkSpec describes it, and
loading builds it once from the spec and sets the weights on it. Reading a
file runs no code from it and reads no Keras file. The JSON can only describe
values of a fixed list of types: JSON's own, NumPy arrays and scalars, pandas
indexes, random states, and the dataclasses an estimator's state holds (listed
in ``_CLASSES``). Anything else is refused, when saving and when loading. A
classifier's state holds its classes and their kind ("binary", "multiclass"
or "multilabel-indicator"), from which loading rebuilds its LabelBinarizer.

Files of format version 1 (written by skgrn 0.1.0 before format 2) still
load: their state is the estimator's whole ``__dict__``, the LabelBinarizer's
attributes included (read as a plain namespace, see ``_FORMAT_1_CLASSES``),
and their network is a third member, ``model.keras``, which
:func:`_format_1_weights` loads with Keras' ``safe_mode=True`` for its weights
only.
"""

import io
import json
import os
import tempfile
import zipfile
from dataclasses import fields
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import sklearn

from skgrn._network import NetworkSpec, stored_weights
from skgrn._tabular import (
    CategoricalColumn,
    DateColumn,
    NumericColumn,
    TableLayout,
    TargetMeans,
)
from skgrn._version import __version__, check_version
from skgrn.classifier import GRNClassifier
from skgrn.layers import GroupedDense
from skgrn.regressor import GRNRegressor

FORMAT = "skgrn-estimator"
FORMAT_VERSION = 2
_HEADER, _ARRAYS, _MODEL = "skgrn.json", "arrays.npz", "model.keras"
#: The members of a file of each format version that this skgrn reads.
_MEMBERS = {1: {_HEADER, _ARRAYS, _MODEL}, 2: {_HEADER, _ARRAYS}}
_ESTIMATORS = {cls.__name__: cls for cls in (GRNClassifier, GRNRegressor)}
_CLASSES = {
    cls.__name__: cls
    for cls in (
        TableLayout,
        NumericColumn,
        CategoricalColumn,
        TargetMeans,
        DateColumn,
        NetworkSpec,
    )
}
#: Format 1 also stored a classifier's LabelBinarizer, attribute by attribute; it
#: is read as a namespace of those attributes, from which the classifier takes
#: the kind of its labels (see GRNClassifier._from_whole_dict).
_FORMAT_1_CLASSES = {**_CLASSES, "LabelBinarizer": SimpleNamespace}


class MemberHeads(GroupedDense):
    """The ensemble heads of networks saved in format 1, now a GroupedDense.

    Keras finds the weights of a saved network's layers under their class's
    name (``layers/member_heads/vars/0``), so reading them takes a class of
    the old name.
    """


#: custom_objects for format 1's model.keras: the registered names of renamed
#: layer classes, mapped to classes that read their saved config and weights.
_FORMAT_1_LAYERS = {"skgrn>MemberHeads": MemberHeads}


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
    if "_metadata_request" in vars(estimator):
        raise TypeError(
            "skgrn.save cannot store scikit-learn's metadata routing requests "
            "(set_fit_request and the like) without pickle."
        )
    state, weights = estimator._export_state()
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
        "weights": _add_weights(weights, arrays),
    }
    _write_atomically(Path(path), header, arrays)


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
        header, cls = _read_header(archive, path)
        arrays = _read_arrays(archive, path)
        if header["format_version"] == 1:
            params, state, weights = _read_format_1(cls, archive, header, arrays, path)
        else:
            params, state, weights = _read_format_2(header, arrays, path)
    versions = header.get("versions") or {}
    check_version(cls.__name__, versions.get("skgrn"))
    try:
        estimator = cls(**params)
        estimator._import_state(state, weights)
    except (ValueError, TypeError, KeyError, AttributeError) as error:
        raise ValueError(
            f"{path}: the estimator's parameters, state and network do not fit ({error})."
        ) from error
    return estimator


# -- writing and reading the archive --------------------------------------------------
def _add_weights(weights, arrays):
    """Add the network's ``weights`` to ``arrays``; their names, in order (None
    for an unfitted estimator)."""
    if weights is None:
        return None
    names = [f"weight_{index}" for index in range(len(weights))]
    arrays.update(zip(names, weights, strict=True))
    return names


def _write_atomically(path, header, arrays):
    """Write the archive to a temporary file beside ``path``, then rename it."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file, zipfile.ZipFile(file, "w") as archive:
            archive.writestr(_HEADER, json.dumps(header))
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
            archive.writestr(_ARRAYS, buffer.getvalue())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _read_header(archive, path):
    """The checked JSON header of ``archive`` and the estimator class it names."""
    names = set(archive.namelist())
    if not {_HEADER, _ARRAYS} <= names or not names <= _MEMBERS[1]:
        raise ValueError(
            f"{path} is not a file written by skgrn.save: it holds {sorted(names)}, "
            f"not {_HEADER}, {_ARRAYS} and, in format version 1, {_MODEL}."
        )
    try:
        header = json.loads(archive.read(_HEADER))
    except ValueError as error:
        raise ValueError(f"{path}: {_HEADER} is not valid JSON.") from error
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{path} is not a file written by skgrn.save.")
    version = header.get("format_version")
    if type(version) is not int or version not in _MEMBERS:
        raise ValueError(
            f"{path} has format version {version!r}; this skgrn reads versions "
            f"{' and '.join(map(str, _MEMBERS))}."
        )
    if not names <= _MEMBERS[version]:
        raise ValueError(
            f"{path} is not a file written by skgrn.save: a file of format version "
            f"{version} holds no {sorted(names - _MEMBERS[version])}."
        )
    cls = _ESTIMATORS.get(header.get("estimator"))
    if cls is None:
        raise ValueError(f"{path} holds an unknown estimator {header.get('estimator')!r}.")
    return header, cls


def _read_arrays(archive, path):
    """The arrays of ``archive``'s npz member, read without pickle."""
    try:
        with np.load(io.BytesIO(archive.read(_ARRAYS)), allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except ValueError as error:
        raise ValueError(
            f"{path}: {_ARRAYS} holds something other than plain arrays ({error})."
        ) from error


def _read_dict(header, key, arrays, path, classes=_CLASSES):
    """The dict the header encodes under ``key`` (the parameters or the state)."""
    try:
        value = _decode(header.get(key), arrays, classes)
    except (TypeError, ValueError, KeyError, IndexError) as error:
        raise ValueError(f"{path}: the estimator's {key} in {_HEADER} are malformed.") from error
    if not isinstance(value, dict):
        raise ValueError(f"{path}: the estimator's {key} in {_HEADER} are malformed.")
    return value


def _read_format_2(header, arrays, path):
    """The parameters, fitted state and network weights of a format-2 file."""
    params = _read_dict(header, "params", arrays, path)
    state = _read_dict(header, "state", arrays, path)
    names = header.get("weights")
    if names is None:
        return params, state, None
    if not isinstance(names, list) or not all(
        isinstance(name, str) and name in arrays and arrays[name].dtype.kind == "f"
        for name in names
    ):
        raise ValueError(f"{path}: the network's weights in {_HEADER} are malformed.")
    return params, state, [arrays[name] for name in names]


def _read_format_1(cls, archive, header, arrays, path):
    """The parameters, fitted state and network weights of a format-1 file, whose
    state is the estimator's whole ``__dict__`` and whose network is model.keras."""
    params = _read_dict(header, "params", arrays, path)
    attributes = _read_dict(header, "state", arrays, path, _FORMAT_1_CLASSES)
    if _MODEL in archive.namelist():
        attributes["_model_weights"] = _format_1_weights(archive.read(_MODEL), path)
    elif "_spec" in attributes:
        raise ValueError(f"{path} holds a fitted estimator but no {_MODEL}.")
    try:
        pickled = cls._from_whole_dict(attributes)
    except (KeyError, AttributeError) as error:
        raise ValueError(f"{path}: the estimator's state in {_HEADER} is malformed.") from error
    return params, pickled["state"], pickled["weights"]


def _format_1_weights(data, path):
    """The weights of the network in a format-1 file's model.keras (``data``), in
    the order files store them (:func:`skgrn._network.stored_weights`).

    The one place skgrn reads a Keras file: with ``safe_mode=True``, which
    refuses code (a ``Lambda`` layer), and ``_FORMAT_1_LAYERS`` for renamed
    layer classes. The network it builds serves only for its weights; the
    estimator's is built from its spec, as for a format-2 file.
    """
    with tempfile.TemporaryDirectory() as folder:
        model_path = Path(folder) / _MODEL
        model_path.write_bytes(data)
        try:
            model = keras.saving.load_model(
                model_path, custom_objects=_FORMAT_1_LAYERS, compile=False, safe_mode=True
            )
        except Exception as error:
            raise ValueError(
                f"{path}: {_MODEL} is not a network skgrn can load safely ({error})."
            ) from error
    return stored_weights(model)


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
        attributes = {field.name: getattr(value, field.name) for field in fields(value)}
        return {"object": name, "attributes": _encode(attributes, arrays, where)}
    raise TypeError(
        f"skgrn.save cannot store a value of type {type(value).__qualname__} (in the "
        f"estimator's {where}) without pickle."
    )


def _decode(value, arrays, classes):
    """The value :func:`_encode` encoded; refuses anything it could not have written.

    ``classes`` are the classes an ``"object"`` may name: ``_CLASSES``, or
    ``_FORMAT_1_CLASSES`` in a format-1 file.
    """
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_decode(item, arrays, classes) for item in value]
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise ValueError(f"Unexpected value in an skgrn file: {str(value)[:80]}")
    (tag, content), *rest = value.items()
    if tag == "tuple":
        return tuple(_decode(item, arrays, classes) for item in content)
    if tag == "dict":
        return {_decode(k, arrays, classes): _decode(v, arrays, classes) for k, v in content}
    if tag == "array" and content in arrays:
        return arrays[content]
    if tag == "numpy_scalar":
        return np.dtype(content).type(_decode(value["value"], arrays, classes))
    if tag == "object_array":
        items = np.empty(len(content), dtype=object)
        items[:] = [_decode(item, arrays, classes) for item in content]
        return items.reshape(value["shape"])
    if tag == "index":
        return pd.Index(_decode(content, arrays, classes), dtype=value["dtype"])
    if tag == "random_state":
        random_state = np.random.RandomState()
        random_state.set_state(_decode(content, arrays, classes))
        return random_state
    if tag == "object" and content in classes:
        return classes[content](**_decode(value["attributes"], arrays, classes))
    raise ValueError(f"Unexpected value in an skgrn file: {str(value)[:80]}")
