#!/usr/bin/env python3
"""Writes a deterministic, learnable synthetic 3-class image dataset in the
layout of `animalcnn prepare` (data/processed), so every framework of the
training benchmark reads the same files, and the Go side reads them with
mlpkg/dataset.Load:

    train_images.npy  uint8 [n, size, size, 3]   train_labels.npy  int32 [n]
    test_images.npy   uint8 [m, size, size, 3]   test_labels.npy   int32 [m]
    dataset.json      classes, image size, counts and the dataset hash

The three classes are colour stripes at a random angle near horizontal,
near vertical, or a checkerboard, each with random colours, frequency,
phase, brightness, an occluding rectangle and pixel noise. Same arguments,
same bytes (NumPy's PCG64 generator). Needs only NumPy.

Usage: make_data.py --out DIR [--train 960] [--test 240] [--size 50] [--seed 1]
"""

import argparse
import datetime
import hashlib
import json
import os
import sys

try:
    import numpy as np
except ImportError:  # --help still works; main says what is missing
    np = None

CLASSES = ["horizontal", "vertical", "checker"]


def make_split(rng, n, size):
    """Returns (images uint8 [n,size,size,3], labels int32 [n]), classes balanced."""
    labels = (np.arange(n) % len(CLASSES)).astype(np.int32)
    rng.shuffle(labels)
    yy, xx = np.meshgrid(np.arange(size, dtype=np.float32), np.arange(size, dtype=np.float32), indexing="ij")
    freq = rng.uniform(0.25, 0.9, n).astype(np.float32)
    phase = rng.uniform(0, 2 * np.pi, n).astype(np.float32)
    tilt = rng.uniform(-0.35, 0.35, n).astype(np.float32)  # radians off the axis
    images = np.empty((n, size, size, 3), np.float32)
    for i in range(n):
        c, s = np.cos(tilt[i]), np.sin(tilt[i])
        if labels[i] == 0:  # stripes across rows
            p = np.sin(freq[i] * (c * yy + s * xx) + phase[i])
        elif labels[i] == 1:  # stripes across columns
            p = np.sin(freq[i] * (c * xx - s * yy) + phase[i])
        else:  # checkerboard
            p = np.sin(freq[i] * yy + phase[i]) * np.sin(freq[i] * xx + phase[i] / 2)
        p = (p > 0).astype(np.float32)[..., None]
        fg = rng.uniform(0, 1, 3).astype(np.float32)
        bg = rng.uniform(0, 1, 3).astype(np.float32)
        img = p * fg + (1 - p) * bg
        # An occluding rectangle of a random colour.
        h, w = rng.integers(5, size // 2, 2)
        y0, x0 = rng.integers(0, size - h), rng.integers(0, size - w)
        img[y0 : y0 + h, x0 : x0 + w] = rng.uniform(0, 1, 3)
        img = img * rng.uniform(0.6, 1.2) + rng.normal(0, 0.12, img.shape)
        images[i] = img
    return (np.clip(images, 0, 1) * 255).round().astype(np.uint8), labels


def dataset_hash(classes, size, splits):
    """mlpkg/dataset.HashArrays: SHA-256 of the classes, size and arrays."""
    h = hashlib.sha256()
    cl = json.dumps(classes, separators=(",", ":"))
    h.update(f"animalcnn-dataset-v1\nclasses {cl}\nsize {size}\n".encode())
    for images, labels in splits:
        h.update(f"split {len(labels)}\n".encode())
        h.update(np.ascontiguousarray(images).tobytes())
        h.update(np.asarray(labels).astype("<u4").tobytes())
    return h.hexdigest()


def sample_files(train, test):
    """dataset.json's "files": one made-up picture per sample, train rows
    then test rows in array order (mlpkg/dataset.Load checks that they
    account for every sample), with the SHA-256 of its pixels."""
    files = []
    for split, (images, labels) in (("train", train), ("test", test)):
        for i, (img, label) in enumerate(zip(images, labels)):
            files.append({"path": f"{CLASSES[label]}/synthetic-{split}-{i:05d}.png", "label": int(label),
                          "sha256": hashlib.sha256(img.tobytes()).hexdigest(), "split": split})
    return files


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=960)
    ap.add_argument("--test", type=int, default=240)
    ap.add_argument("--size", type=int, default=50)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    if np is None:
        sys.exit("make_data.py needs NumPy (bench/train/run.sh runs it with the notebooks' .venv)")
    rng = np.random.Generator(np.random.PCG64(a.seed))
    train = make_split(rng, a.train, a.size)
    test = make_split(rng, a.test, a.size)
    os.makedirs(a.out, exist_ok=True)
    for name, arr in [
        ("train_images", train[0]),
        ("train_labels", train[1]),
        ("test_images", test[0]),
        ("test_labels", test[1]),
    ]:
        np.save(os.path.join(a.out, name + ".npy"), arr)
    counts = []
    for k, c in enumerate(CLASSES):
        ntr, nte = int((train[1] == k).sum()), int((test[1] == k).sum())
        counts.append({"class": c, "label": k, "files": ntr + nte, "excluded": 0, "skipped": 0,
                       "train": ntr, "test": nte, "train_samples": ntr})
    meta = {
        "version": 1,
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "images_dir": f"synthetic (bench/train/make_data.py --seed {a.seed})",
        "classes": CLASSES,
        "image_size": a.size,
        "split": {"mode": "random", "seed": a.seed},
        "min_per_class": 0,
        "augment": False,
        "samples_per_photo": 1,
        "train_n": a.train,
        "test_n": a.test,
        "counts": counts,
        "files": sample_files(train, test),
        "hash": dataset_hash(CLASSES, a.size, [train, test]),
    }
    # Written last, and whole or not at all: run.sh takes a dataset.json
    # that lists hashes as a finished set.
    path = os.path.join(a.out, "dataset.json")
    with open(path + ".tmp", "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)
    print(f"wrote {a.train}+{a.test} synthetic {a.size}x{a.size} images to {a.out} (hash {meta['hash'][:12]})",
          file=sys.stderr)


if __name__ == "__main__":
    main()
