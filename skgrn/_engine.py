"""Where fits and predictions run: TensorFlow graphs, or Keras' portable API.

On TensorFlow, Keras' default backend, training and prediction run in traced
graphs (:mod:`skgrn._training`, :mod:`skgrn._forward`). On the other Keras
backends (JAX, torch) they run through Keras' backend-independent API
(:mod:`skgrn._portable`). The choice is Keras': ``KERAS_BACKEND``, read when
Keras is first imported. Modules are imported on first use, so that
TensorFlow need not be installed to use another backend.

This module is the one place that chooses: the estimators ask it for a
:class:`Trainer` and a :class:`ForwardPass`, the interfaces both backends'
implementations follow (checked in tests/test_engine.py).
"""

from typing import Protocol, runtime_checkable

import keras
import numpy as np


@runtime_checkable
class Trainer(Protocol):
    """What a fit asks of a trainer, on any backend (see :func:`get_trainer`).

    A trainer is built once per network spec and reused: each fit loads its
    state, trains and reads the state back.
    """

    #: Whether a first epoch has run: it compiles the training step (seconds).
    compiled: bool

    def load(self, weights, optimizer_state, learning_rate, dropout_seed) -> None:
        """Start from ``weights``; a fresh optimizer when ``optimizer_state`` is None."""

    def tensors(self, X, Y, W) -> tuple:
        """The training arrays as the backend's tensors, converted once per fit."""

    def train_epoch(self, X, Y, W, order, batch_size, penalty_scale) -> tuple[float, float]:
        """One pass over the rows in ``order``: the mean objective and ensemble loss."""

    def evaluate(self, X, Y, W) -> tuple[float, np.ndarray]:
        """The weighted mean loss of the ensemble's prediction on held-out rows,
        and that prediction (what the network outputs for them)."""

    def keep(self) -> None:
        """Remember the current weights (the best epoch's, so far)."""

    def kept_weights(self) -> list:
        """The weights :meth:`keep` remembered, as NumPy arrays."""

    def weights(self) -> list:
        """The current weights, as NumPy arrays."""

    def optimizer_state(self) -> list:
        """The optimizer's variables, as NumPy arrays."""

    def set_learning_rate(self, learning_rate) -> None:
        """The learning rate of the following steps."""


@runtime_checkable
class ForwardPass(Protocol):
    """A network's outputs for encoded rows, on any backend (see :func:`get_forward_pass`)."""

    def __call__(self, model, X) -> np.ndarray:
        """Outputs of ``model`` (a network of the pass's spec) for the rows of ``X``."""


def _on_tensorflow():
    return keras.backend.backend() == "tensorflow"


def get_trainer(spec, devices=None) -> Trainer:
    """The cached trainer for ``spec`` in this thread, built on first use.

    ``devices`` (see :func:`check_devices`) asks for data-parallel training.
    """
    if _on_tensorflow():
        from skgrn._training import get_trainer

        return get_trainer(spec, devices)
    from skgrn._portable import get_trainer

    return get_trainer(spec)


def check_devices(devices):
    """The estimator's ``devices`` parameter as a tuple of device names, or None.

    Raises ValueError when data-parallel training cannot run as asked: another
    backend than TensorFlow, no device, a name that is not a string, a device
    named twice, or one TensorFlow does not know.
    """
    if devices is None:
        return None
    if not _on_tensorflow():
        raise ValueError(
            "devices= trains with TensorFlow's MirroredStrategy, but Keras is using the "
            f"{keras.backend.backend()!r} backend (KERAS_BACKEND). Leave devices=None."
        )
    devices = tuple(devices)
    if not devices:
        raise ValueError("devices must name at least one device, or be None.")
    for device in devices:
        if not isinstance(device, str):
            raise TypeError(
                f"devices must be device names such as '/cpu:0' or '/gpu:1'; got {device!r}."
            )
    import tensorflow as tf

    def key(name):
        try:
            spec = tf.DeviceSpec.from_string(name)
        except ValueError:
            return name
        return (str(spec.device_type).upper(), spec.device_index or 0)

    known = {key(device.name) for device in tf.config.list_logical_devices()}
    unknown = [device for device in devices if key(device) not in known]
    if unknown:
        names = ", ".join(device.name for device in tf.config.list_logical_devices())
        raise ValueError(
            f"devices: TensorFlow has no device {', '.join(map(repr, unknown))}. "
            f"Its devices are: {names}."
        )
    if len({key(device) for device in devices}) < len(devices):
        raise ValueError(f"devices names a device twice: {list(devices)}.")
    return devices


def get_forward_pass(spec) -> ForwardPass:
    """The cached forward pass for ``spec`` in this thread, built on first use."""
    if _on_tensorflow():
        from skgrn._forward import get_forward_pass
    else:
        from skgrn._portable import get_forward_pass
    return get_forward_pass(spec)


def network_dtype(dtype):
    """The float type a network computes in on this backend, for a table encoded in ``dtype``.

    Outside TensorFlow, Keras' type promotion maps float64 to float32 (as JAX
    does by default), so some of its operations would silently compute a
    float64 network in 32 bits; such networks are float32 throughout instead.
    """
    return dtype if _on_tensorflow() else "float32"
