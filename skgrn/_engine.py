"""Where fits and predictions run: TensorFlow graphs, or Keras' portable API.

On TensorFlow, Keras' default backend, training and prediction run in traced
graphs (:mod:`skgrn._training`, :mod:`skgrn._forward`). On the other Keras
backends (JAX, torch) they run through Keras' backend-independent API
(:mod:`skgrn._portable`). The choice is Keras': ``KERAS_BACKEND``, read when
Keras is first imported. Modules are imported on first use, so that
TensorFlow need not be installed to use another backend.
"""

import keras


def _on_tensorflow():
    return keras.backend.backend() == "tensorflow"


def get_trainer(spec, devices=None):
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


def get_forward_pass(spec):
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
