"""Squeeze-and-Excitation ResNet / ResNeXt.

Hu, Shen, Sun, "Squeeze-and-Excitation Networks", CVPR 2018.

The SE block recalibrates the residual branch's channels before the identity
addition: global average pool -> reduce by 16 -> ReLU -> expand -> sigmoid ->
multiply. Two common ways of writing it are kept on purpose, because they
export to different ONNX graphs:

* ``SEConv``   - the 1x1-conv form (Cadene's pretrainedmodels / the Caffe
  release): GlobalAveragePool -> Conv -> Relu -> Conv -> Sigmoid -> Mul.
* ``SELinear`` - the fc form with ``view`` (moskomule/senet.pytorch):
  the views and ``expand_as`` trace to Shape/Gather/Reshape/Expand chains and
  the bias-free Linear layers to MatMul.

The backbone is torchvision's ResNet with the block swapped for an SE block.
"""
import torch.nn as nn
from torchvision.models.resnet import Bottleneck, ResNet


class SEConv(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, channels // reduction, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(channels // reduction, channels, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, x):
        s = self.sigmoid(self.fc2(self.relu(self.fc1(self.avg_pool(x)))))
        return x * s


class SELinear(nn.Module):
    def __init__(self, channels, reduction=16):
        super().__init__()
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Sequential(
            nn.Linear(channels, channels // reduction, bias=False),
            nn.ReLU(inplace=True),
            nn.Linear(channels // reduction, channels, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, x):
        b, c, _, _ = x.size()
        y = self.avg_pool(x).view(b, c)
        y = self.fc(y).view(b, c, 1, 1)
        return x * y.expand_as(x)


class SEBottleneck(Bottleneck):
    """torchvision's Bottleneck with SE applied to the branch before the add."""
    se_layer = SEConv

    def __init__(self, inplanes, planes, *args, **kwargs):
        super().__init__(inplanes, planes, *args, **kwargs)
        self.se = self.se_layer(planes * self.expansion)

    def branch_last(self):
        return self.bn3

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = self.se(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class SELinearBottleneck(SEBottleneck):
    se_layer = SELinear


def se_resnet50(num_classes=1000):
    return ResNet(SEBottleneck, [3, 4, 6, 3], num_classes=num_classes)


def se_resnext50_32x4d(num_classes=1000):
    return ResNet(SELinearBottleneck, [3, 4, 6, 3], num_classes=num_classes,
                  groups=32, width_per_group=4)
