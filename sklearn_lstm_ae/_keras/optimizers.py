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

__all__ = ["FusedAdam", "fused"]


class FusedAdam(keras.optimizers.Adam):
    """``keras.optimizers.Adam``, its update one TensorFlow kernel per weight.

    The same parameters, slots (``momentum``, ``velocity``) and update
    rule as Keras's Adam: weights agree with Keras's to float32 round-off
    (tested). The scalars of the update (the bias corrections, the
    learning rate) are computed once per step, not once per weight.
    """

    def _fusable(self, grads):
        return not (
            self.amsgrad
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


def fused(optimizer):
    """``optimizer`` as a :class:`FusedAdam` when it is exactly Keras's Adam, else itself."""
    if type(optimizer) is keras.optimizers.Adam:
        return FusedAdam.from_config(optimizer.get_config())
    return optimizer
