"""TF1's `tensorflow.examples.tutorials.mnist`: `input_data` (the data sets) and `mnist` (the
tutorial's two-hidden-layer model: inference / loss / training / evaluation)."""
