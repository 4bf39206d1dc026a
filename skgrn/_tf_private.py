"""Every use of TensorFlow's (and Keras') private or experimental API, in one place.

Each is here for speed or memory, measured where it is used:

* :func:`call_concrete` runs a traced function without the Python binding of
  its arguments (``ConcreteFunction._call_flat``), which costs about as much
  as running a small graph: an epoch on a small table, a one-row predict.
* :func:`variable_handles` and the ``captured`` argument of
  :func:`call_concrete` run one traced forward pass with the variables of
  any network of the same spec (skgrn._forward), so that a fit traces nothing.
* :func:`shared_tensor` hands an aligned NumPy array to TensorFlow without a
  copy (DLPack): the encoded table can be most of a large fit's memory.
* :func:`adam_slots` reads the moments Keras' ``Adam`` keeps for each
  variable, so that skgrn._training can trace Adam's update in a third of
  the operations Keras traces for it (a fit's first trace is most of a small
  table's fit).

tests/test_tf_private.py checks each one's behaviour directly, so that a
TensorFlow release that changes one fails there, with its name, rather than
as a slow fit or a wrong prediction elsewhere.
"""

import tensorflow as tf


def call_concrete(function, inputs, captured=None):
    """Run the concrete TensorFlow ``function`` on the list of tensors ``inputs``.

    ``captured`` replaces the tensors and variable handles the function
    captured when traced (by default, those), in the order of
    ``function.captured_inputs``.
    """
    if captured is None:
        captured = function.captured_inputs
    return function._call_flat(list(inputs), captured)


def variable_handles(weights):
    """The resource handles of Keras variables, as a traced function captures them."""
    return [weight.value.handle for weight in weights]


def shared_tensor(array):
    """A TensorFlow tensor over the memory of ``array`` (C-contiguous, writeable,
    aligned as TensorFlow's allocator aligns), without a copy; it must only be read."""
    return tf.experimental.dlpack.from_dlpack(array.__dlpack__())


def adam_slots(optimizer, variables):
    """The ``(momentum, velocity)`` of each of ``variables`` in Keras' ``Adam``
    ``optimizer`` (built with them), as the TensorFlow variables it updates."""
    return [
        (
            optimizer._momentums[optimizer._get_variable_index(variable)].value,
            optimizer._velocities[optimizer._get_variable_index(variable)].value,
        )
        for variable in variables
    ]
