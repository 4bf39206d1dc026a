"""KerasFactory's names for skgrn's layers, so that its saved models load.

KerasFactory registers its layers with Keras as
``kerasfactory.layers>GatedLinearUnit``, ``...>GatedResidualNetwork`` and
``...>SlowNetwork``; registering skgrn's layers under those names lets a
``.keras`` file it saved load with only skgrn installed. Their configurations
hold only arguments skgrn's layers take (``units``, ``dropout_rate``,
``input_dim``, ``num_layers`` and Keras' own); any other key fails as it does
under skgrn's names. Where KerasFactory itself is imported first, its classes
keep their names.

Keras finds the weights of a layer in a list (a model's layers, a
SlowNetwork's hidden layers) under the snake-cased name of its class
(``layers/slow_network/hidden_layers/dense``), and those of a sublayer held
by an attribute under the attribute's name. The gated layers' sublayers are
attributes of the same names as KerasFactory's (its ``sigmoid`` is skgrn's
``gate``, see :attr:`skgrn.layers.GatedLinearUnit.sigmoid`), so skgrn's
classes read their files; KerasFactory's SlowNetwork keeps Keras' ``Dense``
layers in its list, so its files are read by the classes below, named as
KerasFactory's are.
"""

import keras

from skgrn import layers


class Dense(layers.FixedOrderDense):
    """A FixedOrderDense whose weights Keras saves under ``dense`` in a list."""


class SlowNetwork(layers.SlowNetwork):
    """skgrn's SlowNetwork, read from and saved as KerasFactory's: a model loaded
    from KerasFactory's file and saved again keeps its layout."""

    _hidden_class = Dense


def register():
    custom_objects = keras.saving.get_custom_objects()
    for layer_class in (layers.GatedLinearUnit, layers.GatedResidualNetwork):
        custom_objects.setdefault(f"kerasfactory.layers>{layer_class.__name__}", layer_class)
    if "kerasfactory.layers>SlowNetwork" not in custom_objects:
        keras.saving.register_keras_serializable("kerasfactory.layers")(SlowNetwork)


register()
