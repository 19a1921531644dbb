#!/usr/bin/env python3
"""The course's CNN (Keras cifar10_cnn design) in PyTorch, trained on the
benchmark data; prints a JSON report (see common.py for the fields).

Same model as the Go and Keras versions: conv32 same, conv32 valid, maxpool 2,
dropout .25, conv64 same, conv64 valid, maxpool 2, dropout .25, flatten,
dense 512 relu, dropout .5, dense N softmax; Glorot-uniform kernels and zero
biases (Keras's defaults); RMSprop lr 1e-4, rho 0.9, eps 1e-7, decay 1e-6;
categorical cross-entropy.

Usage: torch_cnn.py --data DIR [--epochs 3] [--batch 32] [--threads 2] [--device cpu|cuda] [--out FILE]
"""

import time

import common

# Parsed before the heavy imports, so that --help works without PyTorch.
args = common.parse_args("PyTorch")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402


class CNN(nn.Module):
    def __init__(self, num_classes, size):
        super().__init__()
        flat = 64 * (((size - 2) // 2 - 2) // 2) ** 2  # 7744 for 50x50
        self.features = nn.Sequential(
            nn.Conv2d(3, 32, 3, padding="same"), nn.ReLU(),
            nn.Conv2d(32, 32, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
            nn.Conv2d(32, 64, 3, padding="same"), nn.ReLU(),
            nn.Conv2d(64, 64, 3), nn.ReLU(),
            nn.MaxPool2d(2), nn.Dropout(0.25),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(flat, 512), nn.ReLU(), nn.Dropout(0.5),
            nn.Linear(512, num_classes),  # softmax is in the loss
        )
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.features(x))


def main():
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    xtr, ytr, xte, yte, num_classes = common.load_data(args.data)
    size = xtr.shape[1]
    # NHWC -> NCHW once; the whole (small) dataset lives on the device.
    to = lambda a: torch.from_numpy(np.ascontiguousarray(a)).to(dev)  # noqa: E731
    xtr_t, ytr_t = to(xtr.transpose(0, 3, 1, 2)), to(ytr)
    xte_t, yte_t = to(xte.transpose(0, 3, 1, 2)), to(yte)

    model = CNN(num_classes, size).to(dev)
    opt = torch.optim.RMSprop(model.parameters(), lr=common.LEARNING_RATE, alpha=common.RHO, eps=common.EPSILON)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda it: 1.0 / (1.0 + common.DECAY * it))
    loss_fn = nn.CrossEntropyLoss()
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    gen = torch.Generator().manual_seed(args.seed)

    clock = common.Clock()
    history = []
    n = len(ytr)
    sync()
    clock.start()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen).to(dev)
        loss_sum = torch.zeros((), device=dev)
        t_epoch = time.perf_counter()
        for i in range(0, n, args.batch):
            idx = perm[i : i + args.batch]
            x, y = xtr_t[idx], ytr_t[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * len(idx)
            if clock.steps == 0:
                sync()
                clock.step(len(idx))
            else:
                clock.steps += 1
                clock.images_after_first += len(idx)
        train_loss = loss_sum.item() / n  # also synchronises the device
        clock.t_last = time.perf_counter()
        history.append({"epoch": epoch + 1, "train_loss": round(train_loss, 4),
                        "seconds": round(clock.t_last - t_epoch, 2)})

    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, len(yte), 256):
            correct += (model(xte_t[i : i + 256]).argmax(1) == yte_t[i : i + 256]).sum().item()
    backend = "cuda" if dev.type == "cuda" else "cpu"
    extra = {"device_name": torch.cuda.get_device_name(dev)} if dev.type == "cuda" else {}
    common.report(args, "pytorch", torch.__version__, backend, clock, correct / len(yte), n, len(yte), history, extra)


if __name__ == "__main__":
    main()
