#!/usr/bin/env python3
"""The course's CNN (Keras cifar10_cnn design) in Keras 3 on TensorFlow (CPU),
trained with model.fit on the benchmark data; prints a JSON report (see
common.py for the fields).

conv32 same, conv32 valid, maxpool 2, dropout .25, conv64 same, conv64 valid,
maxpool 2, dropout .25, flatten, dense 512 relu, dropout .5, dense N softmax;
RMSprop lr 1e-4, rho 0.9, eps 1e-7 with the legacy decay 1e-6 as an
inverse-time schedule; categorical cross-entropy. jit_compile is Keras's
default ("auto") unless --jit-compile says otherwise; the report records
what Keras resolved it to.

Usage: keras_cnn.py --data DIR [--epochs 3] [--batch 32] [--threads 2] [--jit-compile auto|true|false] [--out FILE]
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import common  # noqa: E402

args = common.parse_args("Keras on TensorFlow")

import tensorflow as tf  # noqa: E402

# Threads must be set before TensorFlow starts its thread pools.
tf.config.threading.set_intra_op_parallelism_threads(args.threads)
tf.config.threading.set_inter_op_parallelism_threads(args.threads)

import keras  # noqa: E402
from keras import layers  # noqa: E402


def build(num_classes, size):
    return keras.Sequential([
        keras.Input((size, size, 3)),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Flatten(),
        layers.Dense(512, activation="relu"),
        layers.Dropout(0.5),
        layers.Dense(num_classes, activation="softmax"),
    ])


class Timing(keras.callbacks.Callback):
    """Feeds common.Clock: the first batch is synchronised through its loss
    value; the end of each epoch through the epoch's logs."""

    def __init__(self, clock, batch, n):
        super().__init__()
        self.clock, self.batch, self.n = clock, batch, n
        self.history = []

    def on_train_batch_end(self, batch, logs=None):
        if self.clock.steps == 0:
            float(logs["loss"])
            self.clock.step(self.batch)
        else:
            self.clock.steps += 1

    def on_epoch_begin(self, epoch, logs=None):
        self.t_epoch = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        loss = float(logs["loss"])
        now = time.perf_counter()
        self.clock.t_last = now
        self.history.append({"epoch": epoch + 1, "train_loss": round(loss, 4), "seconds": round(now - self.t_epoch, 2)})


def main():
    keras.utils.set_random_seed(args.seed)
    xtr, ytr, xte, yte, num_classes = common.load_data(args.data)
    model = build(num_classes, xtr.shape[1])
    schedule = keras.optimizers.schedules.InverseTimeDecay(common.LEARNING_RATE, decay_steps=1, decay_rate=common.DECAY)
    jit = {"auto": "auto", "true": True, "false": False}[args.jit_compile.lower()]
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=schedule, rho=common.RHO, epsilon=common.EPSILON),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
        jit_compile=jit,
    )
    ytr1 = keras.utils.to_categorical(ytr, num_classes)
    clock = common.Clock()
    timing = Timing(clock, args.batch, len(ytr))
    clock.start()
    model.fit(xtr, ytr1, batch_size=args.batch, epochs=args.epochs, shuffle=True, verbose=0, callbacks=[timing])
    # Images after the first step: every epoch's images less the first batch.
    clock.images_after_first = args.epochs * len(ytr) - min(args.batch, len(ytr))
    probs = model.predict(xte, batch_size=256, verbose=0)
    acc = float((probs.argmax(1) == yte).mean())
    extra = {"keras_version": keras.__version__, "jit_compile": str(getattr(model, "jit_compile", jit))}
    common.report(args, "keras", tf.__version__, "tensorflow-cpu", clock, acc, len(ytr), len(yte), timing.history, extra)


if __name__ == "__main__":
    main()
