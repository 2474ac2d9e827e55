"""Keras's Adam with each weight's update fused into one TensorFlow operation.

Keras's Adam (``keras.optimizers.Adam``) updates a weight with about a dozen
element-wise operations (two moment updates, the bias correction, the
step) and clips its gradient with about ten more, each one built in Python
when the train step is traced: about half of the time spent tracing a small
network's train step. :class:`FusedAdam` computes the same update with
TensorFlow's ``ResourceApplyAdam`` kernel, one operation per weight, and
clips the gradients with a few operations for all of them. The time of a
step once traced is unchanged. Under a ``tf.distribute`` strategy, for
``amsgrad=True`` or for sparse gradients it runs Keras's own update. Every
fit whose optimizer is Keras's Adam (the default, given by name, class or
instance) trains with it.
"""

import keras
import tensorflow as tf

from .._fallbacks import note

__all__ = ["FusedAdam", "fused", "FUSED_UPDATE"]


def _fused_update_available():
    """Keras's Adam and TensorFlow as :class:`FusedAdam` expects them (private parts)."""
    adam = keras.optimizers.Adam
    return all(
        callable(getattr(adam, name, None))
        for name in ("_backend_update_step", "_get_variable_index", "_clip_gradients")
    ) and hasattr(tf.raw_ops, "ResourceApplyAdam")


#: True when the fused update can run; False: every fit trains with Keras's Adam.
FUSED_UPDATE = _fused_update_available()


class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam``, its update one TensorFlow kernel per weight.

    The same parameters, slots (``momentum``, ``velocity``) and update
    rule as Keras's Adam: weights agree with Keras's to float32 round-off
    (tested). The scalars of the update (the bias corrections, the
    learning rate) are computed once per step, not once per weight.
    """

    def _fusable(self, grads):
        return not (
            not hasattr(self, "_momentums")  # Adam's slots, as built in this Keras
            or not hasattr(self, "_velocities")
            or self.amsgrad
            or tf.distribute.has_strategy()
            or any(isinstance(g, tf.IndexedSlices) for g in grads)
        )

    def _scalars(self, dtype, learning_rate):
        step = tf.cast(self.iterations + 1, dtype)
        beta_1, beta_2 = tf.cast(self.beta_1, dtype), tf.cast(self.beta_2, dtype)
        return dict(
            beta1_power=tf.pow(beta_1, step),
            beta2_power=tf.pow(beta_2, step),
            lr=tf.cast(learning_rate, dtype),
            beta1=beta_1,
            beta2=beta_2,
            epsilon=tf.cast(self.epsilon, dtype),
        )

    def _backend_update_step(self, grads, trainable_variables, learning_rate):
        if not self._fusable(grads):
            return super()._backend_update_step(grads, trainable_variables, learning_rate)
        scalars = {}
        for grad, variable in zip(grads, trainable_variables, strict=True):
            index = self._get_variable_index(variable)
            weight = variable.value if isinstance(variable, keras.Variable) else variable
            dtype = weight.dtype
            if dtype not in scalars:
                scalars[dtype] = self._scalars(dtype, learning_rate)
            tf.raw_ops.ResourceApplyAdam(
                var=weight.handle,
                m=self._momentums[index].value.handle,
                v=self._velocities[index].value.handle,
                grad=tf.cast(grad, dtype),
                **scalars[dtype],
            )

    def _clip_gradients(self, grads):
        """Each gradient scaled to norm at most ``clipnorm``, all the norms in one vector."""
        if not (self.clipnorm and self.clipnorm > 0) or any(
            g is None or isinstance(g, tf.IndexedSlices) for g in grads
        ):
            return super()._clip_gradients(grads)
        norms = tf.sqrt(tf.stack([tf.reduce_sum(tf.square(tf.cast(g, "float32"))) for g in grads]))
        clip = tf.constant(self.clipnorm, "float32")
        scales = tf.unstack(clip / tf.maximum(norms, clip))
        return [g * tf.cast(scale, g.dtype) for g, scale in zip(grads, scales, strict=True)]


def for_one_fit(optimizer):
    """A fresh copy of a given optimizer instance, as :func:`fused`.

    An instance is bound to the variables of the first model it trains, so
    each fit gets its own, built from the instance's config.
    """
    if isinstance(optimizer, keras.optimizers.Optimizer):
        optimizer = type(optimizer).from_config(optimizer.get_config())
    return fused(optimizer)


def fused(optimizer):
    """``optimizer`` as a :class:`FusedAdam` when it is exactly Keras's Adam, else itself.

    Keras's Adam itself when the fused update cannot run here
    (:data:`FUSED_UPDATE`), with a one-time note: the same update, traced
    more slowly.
    """
    if type(optimizer) is not keras.optimizers.Adam:
        return optimizer
    if not FUSED_UPDATE:
        note("Keras's Adam internals (the fused update)", "Keras's own Adam trains")
        return optimizer
    return FusedAdam.from_config(optimizer.get_config())
