"""InteractiveSession: Tensor.eval() and Operation.run() without passing the session."""

import flowzero as tf

sess = tf.InteractiveSession()
x = tf.Variable([1.0, 2.0])
a = tf.constant([3.0, 3.0])
x.initializer.run()
sub = tf.sub(x, a)
print(sub.eval())
sess.close()
