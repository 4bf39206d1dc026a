"""The backend seam (skgrn._engine): one place chooses, and every backend's
trainer and forward pass follow the same interfaces."""

import inspect

import numpy as np
import pytest
from helpers import ON_TENSORFLOW, fit_quietly

from skgrn import GRNRegressor, _engine


def implementations():
    """(interface, class) for each implementation importable on this backend."""
    import skgrn._portable as portable

    pairs = [(_engine.Trainer, portable.Trainer), (_engine.ForwardPass, portable.ForwardPass)]
    if ON_TENSORFLOW:
        import skgrn._forward as forward
        import skgrn._training as training

        pairs += [
            (_engine.Trainer, training.Trainer),
            (_engine.Trainer, training.MirroredTrainer),
            (_engine.ForwardPass, forward.ForwardPass),
        ]
    return pairs


def interface_methods(protocol):
    """The methods ``protocol`` declares: its public ones, and ``__call__`` if declared."""
    names = [name for name, value in vars(protocol).items() if callable(value)]
    return [name for name in names if name == "__call__" or not name.startswith("_")]


@pytest.mark.parametrize(
    "protocol, implementation", implementations(), ids=lambda item: item.__qualname__
)
def test_implementations_follow_the_interfaces(protocol, implementation):
    methods = interface_methods(protocol)
    assert methods
    for name in methods:
        wanted = list(inspect.signature(getattr(protocol, name)).parameters)
        got = list(inspect.signature(getattr(implementation, name)).parameters)
        assert got == wanted, f"{implementation.__qualname__}.{name}{got} is not {wanted}"


def test_a_fit_gets_its_trainer_and_forward_pass_from_the_seam():
    X = np.random.RandomState(0).randn(40, 3)
    reg = fit_quietly(GRNRegressor(max_iter=1, numeric_embedding=None), X, X[:, 0])
    assert isinstance(_engine.get_trainer(reg._spec), _engine.Trainer)
    assert isinstance(_engine.get_forward_pass(reg._spec), _engine.ForwardPass)


@pytest.mark.tensorflow_only
def test_tensorflow_uses_its_traced_graphs():
    import skgrn._forward
    import skgrn._training

    X = np.random.RandomState(0).randn(40, 3)
    reg = fit_quietly(GRNRegressor(max_iter=1, numeric_embedding=None), X, X[:, 0])
    assert type(_engine.get_trainer(reg._spec)) is skgrn._training.Trainer
    assert type(_engine.get_forward_pass(reg._spec)) is skgrn._forward.ForwardPass
