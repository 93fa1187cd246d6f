"""Residual Attention Network.

Wang et al., "Residual Attention Network for Image Classification", CVPR 2017.
Layout follows the widely used PyTorch port (tengshaofeng/
ResidualAttentionNetwork-pytorch) for 224x224 inputs.

* Residual unit: the pre-activation bottleneck of ResNet v2
  (``resnetv2.PreActBottleneck``), bottleneck width = out/4.
* Attention module (p=1, t=2, r=1): one unit, then a trunk branch T of 2 units
  and a soft-mask branch M, then ``(1 + M) * T`` and one more unit.
* Soft-mask branch: an hourglass. Each level max-pools (3x3/2), runs r units,
  recurses, and on the way up adds (upsampled inner result + the level's
  pre-pool features + a skip-connection unit), runs r units and upsamples
  bilinearly. The innermost level runs 2r units. The top level's upsampled
  result is added to the trunk output, then
  BN-ReLU-conv1x1-BN-ReLU-conv1x1-Sigmoid gives M.
  Stage 1 (56x56) has 3 pooling levels, stage 2 (28x28) 2, stage 3 (14x14) 1.
* Attention-56: 1 module per stage; Attention-92: 1, 2, 3 modules per stage.

The two nets upsample in the two ways users write it, which export to
different ONNX ``Resize`` flavours:

* ``attention56``: ``F.interpolate(x, size=ref.shape[-2:], mode='bilinear',
  align_corners=False)`` (size taken from the tensor: half_pixel Resize).
* ``attention92``: ``nn.UpsamplingBilinear2d(size=fixed)`` as the reference
  does (align_corners=True Resize with constant sizes).
"""
import torch.nn as nn
import torch.nn.functional as F

from .resnetv2 import PreActBottleneck


def unit(in_ch, out_ch, stride=1):
    return PreActBottleneck(in_ch, out_ch // PreActBottleneck.expansion, stride)


class Upsample(nn.Module):
    """Bilinear upsampling to the spatial size of a reference tensor."""

    def __init__(self, size, fixed):
        super().__init__()
        self.fixed = nn.UpsamplingBilinear2d(size=(size, size)) if fixed else None

    def forward(self, x, ref):
        if self.fixed is not None:
            return self.fixed(x)
        return F.interpolate(x, size=ref.shape[-2:], mode='bilinear', align_corners=False)


class MaskLevel(nn.Module):
    """One level of the soft-mask hourglass; input at `size`, output
    upsampled back to `size`."""

    def __init__(self, ch, depth, size, fixed_upsample, r=1):
        super().__init__()
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        inner_size = (size + 1) // 2
        if depth == 1:
            self.down = nn.Sequential(*[unit(ch, ch) for _ in range(2 * r)])
            self.inner = None
        else:
            self.down = nn.Sequential(*[unit(ch, ch) for _ in range(r)])
            self.skip = unit(ch, ch)
            self.inner = MaskLevel(ch, depth - 1, inner_size, fixed_upsample, r)
            self.up = nn.Sequential(*[unit(ch, ch) for _ in range(r)])
        self.upsample = Upsample(size, fixed_upsample)

    def forward(self, x):
        y = self.down(self.pool(x))
        if self.inner is not None:
            y = self.up(self.inner(y) + y + self.skip(y))
        return self.upsample(y, x)


class AttentionModule(nn.Module):
    def __init__(self, ch, depth, size, fixed_upsample):
        super().__init__()
        self.first = unit(ch, ch)
        self.trunk = nn.Sequential(unit(ch, ch), unit(ch, ch))
        self.mask = MaskLevel(ch, depth, size, fixed_upsample)
        self.mask_head = nn.Sequential(
            nn.BatchNorm2d(ch), nn.ReLU(inplace=True), nn.Conv2d(ch, ch, 1, bias=False),
            nn.BatchNorm2d(ch), nn.ReLU(inplace=True), nn.Conv2d(ch, ch, 1, bias=False),
            nn.Sigmoid(),
        )
        self.last = unit(ch, ch)

    def forward(self, x):
        x = self.first(x)
        t = self.trunk(x)
        m = self.mask_head(self.mask(x) + t)
        return self.last((1 + m) * t)


class ResidualAttentionNet(nn.Module):
    def __init__(self, modules_per_stage, fixed_upsample, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False),
            nn.BatchNorm2d(64), nn.ReLU(inplace=True))
        self.mpool1 = nn.MaxPool2d(3, stride=2, padding=1)
        stages = []
        in_ch = 64
        # (width, pooling levels in the mask branch, resolution for 224 input)
        for (ch, depth, size, stride), n in zip(
                [(256, 3, 56, 1), (512, 2, 28, 2), (1024, 1, 14, 2)], modules_per_stage):
            stages.append(unit(in_ch, ch, stride))
            stages += [AttentionModule(ch, depth, size, fixed_upsample) for _ in range(n)]
            in_ch = ch
        self.stages = nn.Sequential(*stages)
        self.stage4 = nn.Sequential(unit(1024, 2048, 2), unit(2048, 2048), unit(2048, 2048))
        self.mpool2 = nn.Sequential(
            nn.BatchNorm2d(2048), nn.ReLU(inplace=True), nn.AvgPool2d(7, stride=1))
        self.fc = nn.Linear(2048, num_classes)

    def final_norm(self):
        """The BN before pooling. Every attention module scales the stream by
        (1 + M) >= 1, so with random weights the stream grows ~1.7x per
        module; the zoo calibrates this BN's running variance (times a random
        factor) so the logits stay O(1)."""
        return self.mpool2[0]

    def forward(self, x):
        x = self.mpool1(self.conv1(x))
        x = self.stage4(self.stages(x))
        x = self.mpool2(x)
        return self.fc(x.view(x.size(0), -1))


def attention56(num_classes=1000):
    return ResidualAttentionNet((1, 1, 1), fixed_upsample=False, num_classes=num_classes)


def attention92(num_classes=1000):
    return ResidualAttentionNet((1, 2, 3), fixed_upsample=True, num_classes=num_classes)
