#!/usr/bin/python3
"""A small MobileNet-style model with depthwise convolutions, for the tests.

    make_model.py OUT_DIR

Writes OUT_DIR/model.onnx and OUT_DIR/test_data_set_0/{input_0,output_0}.pb
in the zoo's layout (models/zoo.py; test/models/check.py reads it), in a second
and 66 KB, so it is generated at test time, not committed.
The reference is a float64 forward of the float32 weights, as for the zoo.

The network covers what lower-grouped-conv and layout do with depthwise
convs: a stem conv; inverted residual blocks (1x1 expand with ReLU6, 3x3
depthwise with ReLU6 at stride 1 and 2, 1x1 project, the residual add);
a 5x5 depthwise conv with dilation 2; a depthwise conv with 24 channels
(not whole blocks of 16: plain NCHW, and so are its neighbours) at stride 2;
then the global average pool and a classifier.  ReLU6 exports as
Clip(0, 6), which fuse-epilogue puts into the conv as act "clip".
"""
import copy
import os
import sys
import warnings

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper


def cbr(cin, cout, k=1, s=1, groups=1, dil=1, act=True):
    pad = (k - 1) // 2 * dil
    layers = [nn.Conv2d(cin, cout, k, s, pad, dilation=dil, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, expand, s, k=3, dil=1):
        super().__init__()
        mid = cin * expand
        self.use_res = s == 1 and cin == cout
        self.body = nn.Sequential(cbr(cin, mid), cbr(mid, mid, k, s, groups=mid, dil=dil),
                                  cbr(mid, cout, act=False))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.use_res else y


class MobileNetish(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            cbr(3, 16, 3, 2),
            InvertedResidual(16, 16, 2, 1),          # dw 32 ch, s1, residual
            InvertedResidual(16, 32, 3, 2),          # dw 48 ch, s2
            InvertedResidual(32, 32, 2, 1, 5, 2),    # dw 64 ch, 5x5, dilation 2, residual
            cbr(32, 24),
            cbr(24, 24, 3, 2, groups=24),            # dw 24 ch (plain), s2
            cbr(24, 64),
        )
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.features(x)
        return self.fc(x.mean((2, 3)))


@torch.no_grad()
def main():
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
    torch.manual_seed(1234)
    model = MobileNetish()
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
        elif isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.2, 0.2)
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 2.0)
    model.eval()
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(99))
    y = copy.deepcopy(model).double()(x.double()).numpy().astype(np.float32)
    path = os.path.join(out, "model.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, x, path, input_names=["input"], output_names=["output"],
                          opset_version=13, do_constant_folding=True)
    onnx.checker.check_model(path)
    if not np.isfinite(y).all() or not 1e-2 <= float(np.abs(y).max()) <= 1e3:
        sys.exit("make_model.py: output out of range: max %g" % float(np.abs(y).max()))
    for arr, name, fn in ((x.numpy(), "input", "input_0.pb"), (y, "output", "output_0.pb")):
        with open(os.path.join(out, "test_data_set_0", fn), "wb") as f:
            f.write(numpy_helper.from_array(np.ascontiguousarray(arr), name).SerializeToString())
    print("make_model.py: %s (%d bytes), max|y| %.3g" % (path, os.path.getsize(path),
                                                        float(np.abs(y).max())))


if __name__ == "__main__":
    main()
