"""Shared pieces of the Python training benchmarks (torch_cnn.py, keras_cnn.py):
arguments, data loading, the throughput clock, and the JSON report.

Every framework reports the same fields (see report()):
  images_per_sec  steady training throughput: images of steps 2..N divided by
                  the wall time from the end of step 1 to the end of the last
                  step (training epochs only; evaluation happens afterwards)
  first_step_s    wall time from just before the first step (model built, data
                  in memory) to the end of the first step: graph tracing and
                  compilation included
  peak_rss_mib    the process's peak resident memory (getrusage ru_maxrss)
  test_accuracy   accuracy on the test split after the last epoch
"""

import argparse
import json
import os
import platform
import resource
import sys
import time

# The course's optimiser: Keras RMSprop(lr=1e-4, rho=0.9, epsilon=1e-7) with
# the legacy decay=1e-6 (lr / (1 + decay * iterations)).
LEARNING_RATE = 1e-4
RHO = 0.9
EPSILON = 1e-7
DECAY = 1e-6


def parse_args(framework, argv=None):
    ap = argparse.ArgumentParser(description=f"Train the course's CNN with {framework} and print a JSON report.")
    ap.add_argument("--data", required=True, help="folder with train_/test_ images.npy and labels.npy")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2, help="CPU threads (torch.set_num_threads / TF intra-op)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda (PyTorch)")
    ap.add_argument("--jit-compile", default="auto", help="Keras compile(jit_compile=...): auto, true or false")
    ap.add_argument("--out", help="also write the JSON report to this file")
    return ap.parse_args(argv)


def load_data(folder):
    """Returns x_train, y_train, x_test, y_test: float32 NHWC in [0,1], int64 labels."""
    import numpy as np  # here, so that the programs' --help works without NumPy

    def load(name):
        return np.load(os.path.join(folder, name))

    xtr, ytr = load("train_images.npy"), load("train_labels.npy")
    xte, yte = load("test_images.npy"), load("test_labels.npy")
    if xtr.dtype != np.uint8 or xtr.ndim != 4 or xtr.shape[3] != 3:
        sys.exit(f"{folder}/train_images.npy: want uint8 [n,h,w,3], got {xtr.dtype} {xtr.shape}")
    num_classes = int(max(ytr.max(), yte.max())) + 1
    meta = os.path.join(folder, "dataset.json")
    if os.path.exists(meta):
        with open(meta) as f:
            num_classes = len(json.load(f)["classes"])
    f32 = lambda x: x.astype(np.float32) / 255.0  # noqa: E731
    return f32(xtr), ytr.astype(np.int64), f32(xte), yte.astype(np.int64), num_classes


class Clock:
    """Step timer: call start() before the first step and step(n_images) after
    each step has finished (results on the host)."""

    def __init__(self):
        self.t0 = self.t_first = self.t_last = None
        self.steps = 0
        self.images_after_first = 0

    def start(self):
        self.t0 = time.perf_counter()

    def step(self, n_images):
        now = time.perf_counter()
        self.steps += 1
        if self.steps == 1:
            self.t_first = now
        else:
            self.images_after_first += n_images
        self.t_last = now

    def first_step_s(self):
        return self.t_first - self.t0

    def images_per_sec(self):
        dt = (self.t_last or 0) - (self.t_first or 0)
        return self.images_after_first / dt if dt > 0 else float("nan")


def peak_rss_mib():
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    per_mib = 1024.0 * 1024.0 if sys.platform == "darwin" else 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / per_mib


def report(args, framework, version, backend, clock, test_accuracy, n_train, n_test, history, extra=None):
    r = {
        "framework": framework,
        "framework_version": version,
        "backend": backend,
        "batch_size": args.batch,
        "epochs": args.epochs,
        "seed": args.seed,
        "threads": args.threads,
        "n_train": n_train,
        "n_test": n_test,
        "steps": clock.steps,
        "images_per_sec": round(clock.images_per_sec(), 2),
        "first_step_s": round(clock.first_step_s(), 3),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "test_accuracy": round(float(test_accuracy), 4),
        "train_seconds": round(clock.t_last - clock.t0, 2),
        "history": history,
        "data": os.path.abspath(args.data),
        "python": platform.python_version(),
    }
    if extra:
        r.update(extra)
    s = json.dumps(r, indent=2)
    print(s)
    if args.out:
        with open(args.out, "w") as f:
            f.write(s + "\n")
    return r
