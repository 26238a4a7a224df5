"""TF1's process-level modules: tf.app, tf.flags, tf.logging, tf.gfile (tensorflow/python/
platform in TF). Each loads on first use of `tf.app` / `tf.flags` / `tf.logging` / `tf.gfile`."""
