#!/usr/bin/python3
"""Train the embedded demo model: a small residual CNN on sklearn's digits.

Usage: /usr/bin/python3 models/train_digits.py [--out models/digits] [--epochs N]

Data: sklearn.datasets.load_digits() (1797 8x8 grayscale images, pixels
0..16, scaled to [0, 1] by /16), split 80/20 stratified with a fixed seed.
Network (DigitsNet): conv3x3(1->16)+BN+ReLU, a basic residual block at 16
channels, a basic residual block with stride 2 and a 1x1 projection shortcut
to 32 channels, global average pool, fc to 10. Adam, a few epochs, CPU.

Writes to --out:
  model.onnx                      eval mode, opset 13, "input" [1,1,8,8] -> "output" [1,10]
  test.bin                        the test split for C programs (format: digits/README.md)
  test_data_set_0/input_0.pb      first test image   (ONNX test-data layout)
  test_data_set_0/output_0.pb     PyTorch's output for it
"""
import argparse
import os
import struct
import sys
import time

import numpy as np
import onnx
from onnx import numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

SEED = 20240613


class BasicBlock(nn.Module):
    def __init__(self, in_ch, out_ch, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_ch, out_ch, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(out_ch)
        self.conv2 = nn.Conv2d(out_ch, out_ch, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(out_ch)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False), nn.BatchNorm2d(out_ch))

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        identity = x if self.shortcut is None else self.shortcut(x)
        return F.relu(out + identity)


class DigitsNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1, bias=False),
                                  nn.BatchNorm2d(16), nn.ReLU(inplace=True))
        self.block1 = BasicBlock(16, 16)            # 8x8
        self.block2 = BasicBlock(16, 32, stride=2)  # 4x4, projection shortcut
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.block2(self.block1(self.stem(x)))
        return self.fc(torch.flatten(self.pool(x), 1))


def write_pb(arr, name, path):
    with open(path, "wb") as f:
        f.write(numpy_helper.from_array(np.ascontiguousarray(arr), name).SerializeToString())


def write_test_bin(path, x, labels, preds):
    n, _, h, w = x.shape
    with open(path, "wb") as f:
        f.write(b"RESCDIG1")
        f.write(struct.pack("<III", n, h, w))
        f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
        f.write(np.asarray(labels, dtype=np.uint8).tobytes())
        f.write(np.asarray(preds, dtype=np.uint8).tobytes())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "digits"))
    ap.add_argument("--epochs", type=int, default=15)
    args = ap.parse_args(argv)
    t0 = time.time()
    torch.set_num_threads(1)  # an 8x8 net: threading overhead outweighs the gain
    torch.manual_seed(SEED)

    digits = load_digits()
    x = (digits.images.astype(np.float32) / 16.0)[:, None, :, :]  # [1797,1,8,8] in [0,1]
    y = digits.target.astype(np.int64)
    idx_train, idx_test = train_test_split(np.arange(len(y)), test_size=0.2,
                                           random_state=SEED, stratify=y)
    idx_test = np.sort(idx_test)  # test.bin keeps dataset order
    xtr, ytr = torch.from_numpy(x[idx_train]), torch.from_numpy(y[idx_train])
    xte, yte = torch.from_numpy(x[idx_test]), torch.from_numpy(y[idx_test])

    model = DigitsNet()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    g = torch.Generator().manual_seed(SEED)
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        total = 0.0
        for i in range(0, len(perm), 64):
            b = perm[i:i + 64]
            loss = F.cross_entropy(model(xtr[b]), ytr[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        sched.step()
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            model.eval()
            with torch.no_grad():
                acc = (model(xte).argmax(1) == yte).float().mean().item()
            print(f"digits: epoch {epoch + 1:2d} loss {total / len(xtr):.4f} test acc {acc * 100:.2f}%",
                  flush=True)

    model.eval()
    with torch.no_grad():
        logits = model(xte)
    preds = logits.argmax(1)
    acc = (preds == yte).float().mean().item()
    top2 = logits.topk(2, 1).values
    print(f"digits: test accuracy {acc * 100:.2f}% ({int((preds == yte).sum())}/{len(yte)}), "
          f"min top-1 margin {float((top2[:, 0] - top2[:, 1]).min()):.3f}, "
          f"train {time.time() - t0:.1f}s", flush=True)

    os.makedirs(os.path.join(args.out, "test_data_set_0"), exist_ok=True)
    onnx_path = os.path.join(args.out, "model.onnx")
    torch.onnx.export(model, xte[:1], onnx_path, input_names=["input"], output_names=["output"],
                      opset_version=13, do_constant_folding=True)
    onnx.checker.check_model(onnx_path)
    write_test_bin(os.path.join(args.out, "test.bin"), xte.numpy(), yte.numpy(), preds.numpy())
    with torch.no_grad():
        out0 = model(xte[:1]).numpy()
    assert int(out0.argmax()) == int(preds[0])
    write_pb(xte[:1].numpy(), "input", os.path.join(args.out, "test_data_set_0", "input_0.pb"))
    write_pb(out0, "output", os.path.join(args.out, "test_data_set_0", "output_0.pb"))
    sizes = {p: os.path.getsize(os.path.join(args.out, p)) for p in
             ["model.onnx", "test.bin", "test_data_set_0/input_0.pb", "test_data_set_0/output_0.pb"]}
    print("digits: wrote " + ", ".join(f"{p} ({s} B)" for p, s in sizes.items())
          + f"; total {sum(sizes.values())} B in {time.time() - t0:.1f}s", flush=True)
    return 0 if acc > 0.95 else 1


if __name__ == "__main__":
    sys.exit(main())
