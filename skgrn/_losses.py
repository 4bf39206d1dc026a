"""The training objective's per-row losses, written with ``keras.ops`` for every backend."""

import keras


def member_losses(activation, targets, logits):
    """Loss of each row and ensemble member, from the logits for numerical stability.

    ``logits`` is ``(batch, members, outputs)``; ``targets`` is ``(batch, outputs)``.
    """
    ops = keras.ops
    logits = ops.convert_to_tensor(logits)
    targets = ops.expand_dims(ops.cast(targets, logits.dtype), 1)
    if activation == "softmax":
        return -ops.sum(targets * ops.log_softmax(logits, axis=-1), axis=-1)
    if activation == "sigmoid":
        return ops.sum(ops.softplus(logits) - targets * logits, axis=-1)
    return 0.5 * ops.mean(ops.square(targets - logits), axis=-1)


def ensemble_loss(activation, targets, logits):
    """Loss of each row under the members' averaged prediction (what predict returns).

    Log-probabilities of the average are taken with logsumexp over members,
    so this is as stable as :func:`member_losses`, and equal to it for one
    member.
    """
    ops = keras.ops
    logits = ops.convert_to_tensor(logits)
    targets = ops.cast(targets, logits.dtype)
    if activation == "linear":
        return 0.5 * ops.mean(ops.square(targets - ops.mean(logits, axis=1)), axis=-1)

    def log_mean(log_p):
        """Log of the mean over members of ``exp(log_p)``."""
        n_members = ops.cast(ops.shape(log_p)[1], log_p.dtype)
        return ops.logsumexp(log_p, axis=1) - ops.log(n_members)

    if activation == "softmax":
        return -ops.sum(targets * log_mean(ops.log_softmax(logits, axis=-1)), axis=-1)
    log_p, log_not_p = -ops.softplus(-logits), -ops.softplus(logits)
    return -ops.sum(targets * log_mean(log_p) + (1 - targets) * log_mean(log_not_p), axis=-1)


def ensemble_output(activation, logits):
    """What the network outputs for ``logits``: the mean of its members' activations
    (probabilities or values), as its ``"output"`` layer computes them."""
    ops = keras.ops
    logits = ops.convert_to_tensor(logits)
    if activation == "softmax":
        logits = ops.softmax(logits, axis=-1)
    elif activation == "sigmoid":
        logits = ops.sigmoid(logits)
    return ops.mean(logits, axis=1)
