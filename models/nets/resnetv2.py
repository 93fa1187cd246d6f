"""Pre-activation ResNet ("ResNet v2").

He, Zhang, Ren, Sun, "Identity Mappings in Deep Residual Networks", ECCV 2016.

Every unit computes BN -> ReLU first (the "pre-activation"), then the
bottleneck convs conv1x1 -> BN -> ReLU -> conv3x3(stride) -> BN -> ReLU ->
conv1x1. There is no BN or ReLU after the addition, so the residual stream is a
pure sum. When the shape changes, the projection shortcut (1x1 conv, stride)
reads the *pre-activated* input, as in the paper's full pre-activation design.
The stem is conv7x7/2 -> maxpool (no BN: the first unit's pre-activation
normalises it), as in the common timm/BiT layout, and the network ends with a
final BN -> ReLU before global average pooling and the classifier.
"""
import torch
import torch.nn as nn


class PreActBottleneck(nn.Module):
    expansion = 4

    def __init__(self, in_ch, planes, stride=1):
        super().__init__()
        out_ch = planes * self.expansion
        self.bn1 = nn.BatchNorm2d(in_ch)
        self.conv1 = nn.Conv2d(in_ch, planes, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out_ch, 1, bias=False)
        self.relu = nn.ReLU(inplace=True)
        self.shortcut = None
        if stride != 1 or in_ch != out_ch:
            self.shortcut = nn.Conv2d(in_ch, out_ch, 1, stride=stride, bias=False)

    def branch_last(self):
        return self.conv3

    def forward(self, x):
        preact = self.relu(self.bn1(x))
        shortcut = x if self.shortcut is None else self.shortcut(preact)
        out = self.conv1(preact)
        out = self.conv2(self.relu(self.bn2(out)))
        out = self.conv3(self.relu(self.bn3(out)))
        return out + shortcut


class PreActResNet(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        in_ch = 64
        stages = []
        for i, (planes, n) in enumerate(zip((64, 128, 256, 512), layers)):
            units = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                units.append(PreActBottleneck(in_ch, planes, stride))
                in_ch = planes * PreActBottleneck.expansion
            stages.append(nn.Sequential(*units))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.norm = nn.BatchNorm2d(in_ch)  # final BN -> ReLU of the v2 design
        self.relu = nn.ReLU(inplace=True)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.maxpool(self.conv1(x))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.relu(self.norm(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


def resnetv2_50(num_classes=1000):
    return PreActResNet((3, 4, 6, 3), num_classes)
