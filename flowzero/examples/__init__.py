"""TF1's `tensorflow.examples` package, so that tutorial code keeps its imports:
`from flowzero.examples.tutorials.mnist import input_data, mnist`."""
