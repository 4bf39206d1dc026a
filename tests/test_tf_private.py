"""The TensorFlow private and experimental APIs skgrn relies on (skgrn._tf_private),
each checked for the behaviour skgrn needs: a TensorFlow release that changes one
fails here, by name."""

import keras
import numpy as np
import pytest

from skgrn._tabular import aligned_empty

pytestmark = pytest.mark.tensorflow_only(
    reason="TensorFlow's own API: other backends never call it"
)


def traced_scaling(variable):
    """A concrete function computing ``X * variable`` that captures the variable."""
    import tensorflow as tf

    function = tf.function(
        lambda X: X * variable.value, input_signature=[tf.TensorSpec((None, 2), "float32")]
    )
    return function.get_concrete_function()


def test_call_concrete_runs_a_traced_function_as_calling_it_does():
    import tensorflow as tf

    from skgrn._tf_private import call_concrete

    variable = keras.Variable(np.array([2.0, 3.0], np.float32))
    function = traced_scaling(variable)
    X = tf.constant([[1.0, 1.0], [4.0, 5.0]])
    np.testing.assert_array_equal(call_concrete(function, [X]).numpy(), function(X).numpy())
    np.testing.assert_array_equal(call_concrete(function, [X]).numpy(), [[2, 3], [8, 15]])


def test_a_traced_function_captures_the_variable_handles_and_runs_with_others():
    """What skgrn._forward does: trace once, run with another network's variables."""
    import tensorflow as tf

    from skgrn._tf_private import call_concrete, variable_handles

    first = keras.Variable(np.array([2.0, 3.0], np.float32))
    second = keras.Variable(np.array([-1.0, 10.0], np.float32))
    function = traced_scaling(first)
    (handle,) = variable_handles([first])
    assert [captured is handle for captured in function.captured_inputs] == [True]
    X = tf.constant([[1.0, 1.0]])
    swapped = call_concrete(function, [X], variable_handles([second]))
    np.testing.assert_array_equal(swapped.numpy(), [[-1, 10]])
    # The captured handle reads the variable's current value.
    second.assign(np.array([7.0, 7.0], np.float32))
    np.testing.assert_array_equal(
        call_concrete(function, [X], variable_handles([second])).numpy(), [[7, 7]]
    )


def test_shared_tensor_reads_the_arrays_memory_without_a_copy():
    from skgrn._tf_private import shared_tensor

    array = aligned_empty((40, 3), "float64")
    array[:] = 1.0
    tensor = shared_tensor(array)
    array[5, 2] = 9.0
    assert tensor.dtype.name == "float64" and tuple(tensor.shape) == (40, 3)
    assert float(tensor[5, 2]) == 9.0


def test_adam_slots_are_the_moments_keras_adam_updates():
    from skgrn._tf_private import adam_slots

    first = keras.Variable(np.zeros(3))
    second = keras.Variable(np.zeros((2, 2)))
    optimizer = keras.optimizers.Adam(learning_rate=0.1)
    optimizer.build([first, second])
    gradients = [np.array([1.0, -2.0, 3.0]), np.full((2, 2), 4.0)]
    optimizer.apply(gradients, [first, second])
    slots = adam_slots(optimizer, [second, first])  # in the order asked for
    assert len(slots) == 2
    for (momentum, velocity), gradient in zip(slots, gradients[::-1], strict=True):
        np.testing.assert_allclose(momentum.numpy(), (1 - optimizer.beta_1) * gradient)
        np.testing.assert_allclose(velocity.numpy(), (1 - optimizer.beta_2) * gradient**2)
