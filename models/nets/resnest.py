"""ResNeSt: Split-Attention Networks.

Zhang et al., "ResNeSt: Split-Attention Networks", 2020. Written after the
reference implementation (zhanghang1989/ResNeSt, ``resnest/torch``) so that the
exported graph has the same shape as what users export from it: the
split-attention conv sums the radix splits with Python's ``sum`` (an ``Add``
with a constant 0 first), the radix softmax ("rSoftMax") is a
view -> transpose(1,2) -> softmax(dim=1) -> reshape, and the global pool is
``adaptive_avg_pool2d(x, 1).view(x.size(0), -1)``.

ResNeSt-50: layers [3,4,6,3], radix 2, cardinality 1, bottleneck width 64,
deep stem (3x3 convs 32-32-64), average-down shortcuts
(AvgPool(stride, ceil_mode, count_include_pad=False) -> conv1x1 -> BN), and
"avd": a 3x3/2 average pool after the split-attention conv replaces the
strided conv in the first block of stages 2-4.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class rSoftMax(nn.Module):
    def __init__(self, radix, cardinality):
        super().__init__()
        self.radix = radix
        self.cardinality = cardinality

    def forward(self, x):
        batch = x.size(0)
        if self.radix > 1:
            x = x.view(batch, self.cardinality, self.radix, -1).transpose(1, 2)
            x = F.softmax(x, dim=1)
            x = x.reshape(batch, -1)
        else:
            x = torch.sigmoid(x)
        return x


class SplAtConv2d(nn.Module):
    """Split-attention conv: grouped conv producing radix*C channels, then a
    soft attention over the radix splits computed from their pooled sum."""

    def __init__(self, in_channels, channels, kernel_size, stride=1, padding=0,
                 groups=1, radix=2, reduction_factor=4):
        super().__init__()
        inter_channels = max(in_channels * radix // reduction_factor, 32)
        self.radix = radix
        self.cardinality = groups
        self.conv = nn.Conv2d(in_channels, channels * radix, kernel_size, stride,
                              padding, groups=groups * radix, bias=False)
        self.bn0 = nn.BatchNorm2d(channels * radix)
        self.relu = nn.ReLU(inplace=True)
        self.fc1 = nn.Conv2d(channels, inter_channels, 1, groups=self.cardinality)
        self.bn1 = nn.BatchNorm2d(inter_channels)
        self.fc2 = nn.Conv2d(inter_channels, channels * radix, 1, groups=self.cardinality)
        self.rsoftmax = rSoftMax(radix, groups)

    def forward(self, x):
        x = self.relu(self.bn0(self.conv(x)))
        batch, rchannel = x.shape[:2]
        if self.radix > 1:
            splited = torch.split(x, rchannel // self.radix, dim=1)
            gap = sum(splited)
        else:
            gap = x
        gap = F.adaptive_avg_pool2d(gap, 1)
        gap = self.relu(self.bn1(self.fc1(gap)))
        atten = self.rsoftmax(self.fc2(gap)).view(batch, -1, 1, 1)
        if self.radix > 1:
            attens = torch.split(atten, rchannel // self.radix, dim=1)
            out = sum([att * split for (att, split) in zip(attens, splited)])
        else:
            out = atten * x
        return out.contiguous()


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, radix=2,
                 cardinality=1, bottleneck_width=64, avd=True, is_first=False):
        super().__init__()
        group_width = int(planes * (bottleneck_width / 64.)) * cardinality
        self.conv1 = nn.Conv2d(inplanes, group_width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(group_width)
        self.avd = avd and (stride > 1 or is_first)
        if self.avd:
            self.avd_layer = nn.AvgPool2d(3, stride, padding=1)
            stride = 1
        self.conv2 = SplAtConv2d(group_width, group_width, 3, stride=stride,
                                 padding=1, groups=cardinality, radix=radix)
        self.conv3 = nn.Conv2d(group_width, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample

    def branch_last(self):
        return self.bn3

    def forward(self, x):
        residual = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.conv2(out)
        if self.avd:
            out = self.avd_layer(out)
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        return self.relu(out)


class GlobalAvgPool2d(nn.Module):
    def forward(self, inputs):
        return F.adaptive_avg_pool2d(inputs, 1).view(inputs.size(0), -1)


class ResNeSt(nn.Module):
    def __init__(self, layers=(3, 4, 6, 3), radix=2, groups=1, bottleneck_width=64,
                 stem_width=32, num_classes=1000):
        super().__init__()
        self.radix, self.cardinality, self.bottleneck_width = radix, groups, bottleneck_width
        self.inplanes = stem_width * 2
        self.conv1 = nn.Sequential(  # deep stem
            nn.Conv2d(3, stem_width, 3, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(stem_width),
            nn.ReLU(inplace=True),
            nn.Conv2d(stem_width, stem_width, 3, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(stem_width),
            nn.ReLU(inplace=True),
            nn.Conv2d(stem_width, stem_width * 2, 3, stride=1, padding=1, bias=False),
        )
        self.bn1 = nn.BatchNorm2d(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, layers[0], stride=1, is_first=False)
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = GlobalAvgPool2d()
        self.fc = nn.Linear(512 * Bottleneck.expansion, num_classes)

    def _make_layer(self, planes, blocks, stride=1, is_first=True):
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(  # avg-down shortcut
                nn.AvgPool2d(kernel_size=stride, stride=stride, ceil_mode=True,
                             count_include_pad=False),
                nn.Conv2d(self.inplanes, planes * Bottleneck.expansion, 1, bias=False),
                nn.BatchNorm2d(planes * Bottleneck.expansion),
            )
        kw = dict(radix=self.radix, cardinality=self.cardinality,
                  bottleneck_width=self.bottleneck_width)
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, is_first=is_first, **kw)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, **kw))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x))


def resnest50(num_classes=1000):
    return ResNeSt((3, 4, 6, 3), radix=2, groups=1, bottleneck_width=64,
                   stem_width=32, num_classes=num_classes)
