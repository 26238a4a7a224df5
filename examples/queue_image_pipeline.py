"""TF1's file input pipelines end to end, on flowzero, with the bundled MNIST subset.

1. Images on disk through queues: PNG files (written here, or read from --image_dir) ->
   string_input_producer -> WholeFileReader -> decode_png -> resize + cast ->
   shuffle_batch, driven by queue runners and a Coordinator; a small softmax model trains a
   few steps and the threads stop cleanly. The label is part of each file name
   ("digit=<label>=<n>.png"), read back from the reader's key with decode_csv.
2. TFRecord files: the training images as tf.train.Example records (TFRecordWriter), read
   back with TFRecordDataset + parse_single_example + decode_raw + batch, training a softmax
   regression whose test accuracy is printed.

    python examples/queue_image_pipeline.py --steps 30 --epochs 3
"""

from __future__ import annotations

import argparse
import os
import tempfile

import flowzero as tf
from flowzero.datasets import mnist


def write_pngs(images, labels, directory):
    """Writes each image as directory/digit=<label>=<n>.png; returns the paths."""
    paths = []
    with tf.Graph().as_default(), tf.Session() as sess:
        pixels = tf.placeholder(tf.uint8, [28, 28, 1])
        png = tf.image.encode_png(pixels)
        for n, (img, lab) in enumerate(zip(images, labels)):
            path = os.path.join(directory, f"digit={int(lab)}={n:04d}.png")
            with open(path, "wb") as f:
                f.write(sess.run(png, {pixels: img[..., None]}))
            paths.append(path)
    return paths


def train_from_png_files(paths, steps=30, batch_size=20):
    """Queue pipeline: file names -> WholeFileReader -> decode_png -> shuffle_batch."""
    with tf.Graph().as_default():
        tf.set_random_seed(1)
        filenames = tf.train.string_input_producer(paths, shuffle=True, seed=1)
        key, contents = tf.WholeFileReader().read(filenames)
        image = tf.image.decode_png(contents, channels=1)
        image.set_shape([28, 28, 1])
        image = tf.image.resize_images(tf.cast(image, tf.float32) / 255.0, [14, 14])
        _, label, _ = tf.decode_csv(key, [[""], [0], [""]], field_delim="=")
        images, labels = tf.train.shuffle_batch(
            [tf.reshape(image, [196]), label],
            batch_size=batch_size,
            capacity=200,
            min_after_dequeue=50,
            num_threads=2,
            seed=1,
        )
        w = tf.Variable(tf.zeros([196, 10]))
        b = tf.Variable(tf.zeros([10]))
        loss = tf.losses.sparse_softmax_cross_entropy(labels, tf.matmul(images, w) + b)
        train = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord=coord)
            try:
                first = sess.run(loss)
                for _ in range(steps):
                    if coord.should_stop():
                        break
                    _, last = sess.run([train, loss])
            finally:
                coord.request_stop()
                coord.join(threads)
    print(f"png pipeline: {steps} steps, loss {first:.3f} -> {last:.3f}")
    return first, last


def write_tfrecords(images, labels, path):
    with tf.io.TFRecordWriter(path) as writer:
        for img, lab in zip(images, labels):
            example = tf.train.Example(
                features=tf.train.Features(
                    feature={
                        "image_raw": tf.train.Feature(
                            bytes_list=tf.train.BytesList(value=[img.tobytes()])
                        ),
                        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(lab)])),
                    }
                )
            )
            writer.write(example.SerializeToString())


def parse(record):
    features = tf.parse_single_example(
        record,
        {
            "image_raw": tf.FixedLenFeature([], tf.string),
            "label": tf.FixedLenFeature([], tf.int64),
        },
    )
    image = tf.cast(tf.decode_raw(features["image_raw"], tf.uint8), tf.float32) / 255.0
    image.set_shape([784])
    return image, tf.cast(features["label"], tf.int32)


def train_from_tfrecords(train_path, test_path, epochs=3, batch_size=50):
    """tf.data pipeline: TFRecordDataset -> parse_single_example -> batch."""
    with tf.Graph().as_default():
        train = tf.data.TFRecordDataset(train_path).map(parse).shuffle(1000, seed=1)
        train = train.repeat(epochs).batch(batch_size)
        images, labels = train.make_one_shot_iterator().get_next()
        test_images, test_labels = (
            (tf.data.TFRecordDataset([test_path]).map(parse).batch(1000))
            .make_one_shot_iterator()
            .get_next()
        )
        w = tf.Variable(tf.zeros([784, 10]))
        b = tf.Variable(tf.zeros([10]))
        loss = tf.losses.sparse_softmax_cross_entropy(labels, tf.matmul(images, w) + b)
        step = tf.train.GradientDescentOptimizer(0.5).minimize(loss)
        correct = tf.equal(
            tf.argmax(tf.matmul(test_images, w) + b, 1, output_type=tf.int32), test_labels
        )
        accuracy = tf.reduce_mean(tf.cast(correct, tf.float32))
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            steps = 0
            while True:
                try:
                    sess.run(step)
                    steps += 1
                except tf.errors.OutOfRangeError:
                    break
            acc = sess.run(accuracy)
    print(f"tfrecord pipeline: {steps} steps, test accuracy {acc:.3f}")
    return acc


def main(image_dir=None, steps=30, epochs=3, num_images=200):
    (x_train, y_train), (x_test, y_test) = mnist.load_subset()
    with tempfile.TemporaryDirectory() as tmp:
        if image_dir is None:
            paths = write_pngs(x_train[:num_images], y_train[:num_images], tmp)
        else:
            paths = sorted(
                os.path.join(image_dir, n) for n in os.listdir(image_dir) if n.endswith(".png")
            )
        train_from_png_files(paths, steps=steps)
        train_path, test_path = os.path.join(tmp, "train.tfrecord"), os.path.join(tmp, "test.tfr")
        write_tfrecords(x_train, y_train, train_path)
        write_tfrecords(x_test, y_test, test_path)
        train_from_tfrecords(train_path, test_path, epochs=epochs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image_dir", default=None, help="PNG files named digit=<label>=<n>.png")
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    main(args.image_dir, args.steps, args.epochs)
