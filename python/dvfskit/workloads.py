"""DNN workloads as chains of blocks: per-block work and the size of the tensor crossing each
split point, from the public architecture by arithmetic (no weights needed).

Networks (:func:`names`, :func:`get`): ``alexnet``, ``vgg19``, ``resnet50``, ``resnet152``,
``densenet121``, ``mobilenet_v2``, ``inception_v3``, ``vit_b_16`` (torchvision's layouts) and
``xception`` (the Keras layout). Every one returns the same block table, one row per block in
execution order:

========== ==================================================================================
column     meaning
========== ==================================================================================
block      0-based position; split ``l`` runs blocks ``0 .. l-1`` locally and sends the output
           of block ``l-1`` (split 0 sends the input, see :func:`split_bits`)
name       the block, in the layout's own module names where it has them (``layer3.5``)
macs       multiply-accumulates of the block's convolutions, fully connected layers and (ViT)
           attention matrix products; batch norm, layer norm, activations, pooling, additions,
           concatenations and softmax are left out, as in torchvision's published counts
work_share macs / total macs
out_shape  the block's output without the batch dimension, channels last: ``(H, W, C)`` for
           a feature map, ``(tokens, C)`` for a token sequence, ``(C,)`` for a vector
out_values number of values in that output
out_bits   out_values * bits_per_value (32 = float32 by default)
========== ==================================================================================

``attrs`` hold ``network``, ``input_shape`` ``(H, W, 3)``, ``input_bits`` (at
``bits_per_value``), ``bits_per_value`` and ``source``.

Blocks are the split points the offloading literature uses: the layout's top-level stages
(ResNet bottleneck blocks, DenseNet dense blocks and transitions, MobileNetV2 ``features``
entries, Inception modules, ViT encoder layers); VGG and AlexNet split after every weight layer
(a max pool joins the convolution before it: a split in between would only send more bits).
Global pooling joins the classifier, so the last feature block keeps its feature-map shape.

A researcher who measured only whole-model latency can spread it over blocks by work share with
:func:`split_by_work` to explore offloading. That spread is an ASSUMPTION (latency proportional
to multiply-accumulates), labelled as such in every result built from it; per-block measurements
should replace it whenever they exist.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from ._data import scalar

__all__ = ["names", "get", "split_bits", "split_by_work", "alexnet", "vgg19", "resnet50", "resnet152",
           "densenet121", "mobilenet_v2", "inception_v3", "vit_b_16", "xception"]

_Pair = Union[int, Tuple[int, int]]


class _Map(NamedTuple):
    """A feature map without the batch dimension: height, width, channels."""

    h: int
    w: int
    c: int


def _pair(v: _Pair) -> Tuple[int, int]:
    return (v, v) if isinstance(v, int) else (int(v[0]), int(v[1]))


def _positive_int(value: Any, name: str) -> int:
    v = scalar(value, name)
    if v != int(v):
        raise ValueError(f"{name} must be a whole number, got {value!r}")
    return int(v)


class _Net:
    """Layer arithmetic (PyTorch shape rules) and the block table of one network.

    Layers take their input map and return their output map, adding their multiply-accumulates
    to the current block; :meth:`block` closes the block with its output."""

    def __init__(self, network: str, height: Any, width: Any, bits_per_value: Any) -> None:
        self.network = network
        self.bits = _positive_int(bits_per_value, "bits_per_value")
        self.input = _Map(_positive_int(height, "height"), _positive_int(width, "width"), 3)
        self._macs = 0.0
        self._rows: List[Dict[str, Any]] = []

    def _size(self, n: int, k: int, stride: int, pad: int, what: str) -> int:
        span = n + 2 * pad - k
        if span < 0:
            h, w, _ = self.input
            raise ValueError(f"{self.network}: an input of {h} x {w} is too small: {what} (kernel {k}, "
                             f"stride {stride}, padding {pad}) gets {n} values across")
        return span // stride + 1

    def conv(self, x: _Map, cout: int, k: _Pair, stride: _Pair = 1, pad: _Pair = 0, groups: int = 1) -> _Map:
        """Convolution (bias and activation cost nothing here)."""
        (kh, kw), (sh, sw), (ph, pw) = _pair(k), _pair(stride), _pair(pad)
        out = _Map(self._size(x.h, kh, sh, ph, "a convolution"), self._size(x.w, kw, sw, pw, "a convolution"), cout)
        self._macs += float(out.h * out.w * cout * (x.c // groups) * kh * kw)
        return out

    def sepconv(self, x: _Map, cout: int) -> _Map:
        """3 x 3 depthwise ('same' padding) then 1 x 1 pointwise convolution."""
        return self.conv(self.conv(x, x.c, 3, pad=1, groups=x.c), cout, 1)

    def pool(self, x: _Map, k: int, stride: Optional[int] = None, pad: int = 0) -> _Map:
        """Max or average pooling (floor mode): shape only."""
        s = k if stride is None else stride
        return _Map(self._size(x.h, k, s, pad, "a pooling layer"), self._size(x.w, k, s, pad, "a pooling layer"), x.c)

    def linear(self, n_in: int, n_out: int, tokens: int = 1) -> int:
        """Fully connected layer applied to ``tokens`` vectors of ``n_in`` values."""
        self._macs += float(tokens * n_in * n_out)
        return n_out

    def matmul(self, m: int, k: int, n: int) -> None:
        """(m x k) @ (k x n) matrix product."""
        self._macs += float(m * k * n)

    def block(self, name: str, shape: Union[_Map, Tuple[int, ...]]) -> None:
        self._rows.append({"name": name, "macs": self._macs, "out_shape": tuple(int(v) for v in shape)})
        self._macs = 0.0

    def table(self, source: str) -> pd.DataFrame:
        df = pd.DataFrame(self._rows)
        df.insert(0, "block", np.arange(len(df)))
        df["work_share"] = df["macs"] / df["macs"].sum()
        df["out_values"] = [int(np.prod(s)) for s in df["out_shape"]]
        df["out_bits"] = df["out_values"].astype(float) * self.bits
        df = df[["block", "name", "macs", "work_share", "out_shape", "out_values", "out_bits"]]
        df.attrs.update(network=self.network, input_shape=tuple(self.input), bits_per_value=self.bits,
                        input_bits=float(np.prod(self.input)) * self.bits, source=source)
        return df


_TORCHVISION = "torchvision layout, per-block multiply-accumulates by arithmetic"


def _classifier(net: _Net, x: _Map, name: str = "fc", n_classes: int = 1000) -> None:
    """Global average pooling and one fully connected layer."""
    net.block(name, (net.linear(x.c, n_classes),))


def alexnet(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """AlexNet (torchvision, the one-GPU variant) as 8 blocks: ``conv1`` .. ``conv5`` (max pools
    joined to conv1, conv2, conv5) and ``fc6`` .. ``fc8`` (fc6 includes the adaptive 6 x 6
    average pool). See the module docstring for the columns."""
    net = _Net("alexnet", height, width, bits_per_value)
    x = net.pool(net.conv(net.input, 64, 11, 4, 2), 3, 2)
    net.block("conv1", x)
    x = net.pool(net.conv(x, 192, 5, pad=2), 3, 2)
    net.block("conv2", x)
    x = net.conv(x, 384, 3, pad=1)
    net.block("conv3", x)
    x = net.conv(x, 256, 3, pad=1)
    net.block("conv4", x)
    x = net.pool(net.conv(x, 256, 3, pad=1), 3, 2)
    net.block("conv5", x)
    n = 6 * 6 * 256
    for name, n_out in (("fc6", 4096), ("fc7", 4096), ("fc8", 1000)):
        n = net.linear(n, n_out)
        net.block(name, (n,))
    return net.table(f"AlexNet ({_TORCHVISION})")


def vgg19(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """VGG-19 (torchvision, configuration E without batch norm) as 19 blocks, one per weight
    layer: ``conv1_1`` .. ``conv5_4`` (each stage's max pool joined to its last convolution) and
    ``fc6`` .. ``fc8`` (fc6 includes the adaptive 7 x 7 average pool)."""
    net = _Net("vgg19", height, width, bits_per_value)
    x = net.input
    for stage, (cout, n) in enumerate(((64, 2), (128, 2), (256, 4), (512, 4), (512, 4)), start=1):
        for i in range(1, n + 1):
            x = net.conv(x, cout, 3, pad=1)
            if i == n:
                x = net.pool(x, 2)
            net.block(f"conv{stage}_{i}", x)
    n_in = 7 * 7 * 512
    for name, n_out in (("fc6", 4096), ("fc7", 4096), ("fc8", 1000)):
        n_in = net.linear(n_in, n_out)
        net.block(name, (n_in,))
    return net.table(f"VGG-19 ({_TORCHVISION})")


def _resnet(network: str, layers: Sequence[int], height: int, width: int, bits_per_value: int) -> pd.DataFrame:
    net = _Net(network, height, width, bits_per_value)
    x = net.pool(net.conv(net.input, 64, 7, 2, 3), 3, 2, 1)
    net.block("stem", x)
    for stage, (n, planes) in enumerate(zip(layers, (64, 128, 256, 512)), start=1):
        for i in range(n):
            stride = 2 if stage > 1 and i == 0 else 1
            y = net.conv(net.conv(net.conv(x, planes, 1), planes, 3, stride, 1), 4 * planes, 1)
            if i == 0:  # projection shortcut
                net.conv(x, 4 * planes, 1, stride)
            x = y
            net.block(f"layer{stage}.{i}", x)
    _classifier(net, x)
    return net.table(f"{network} ({_TORCHVISION}, stride on the 3 x 3 convolution)")


def resnet50(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """ResNet-50 (torchvision) as 18 blocks: ``stem`` (7 x 7 convolution and max pool), the 16
    bottleneck blocks ``layer1.0`` .. ``layer4.2`` (outputs 56, 28, 14, 7 px at 224 px) and
    ``fc`` (global average pool and classifier)."""
    return _resnet("resnet50", (3, 4, 6, 3), height, width, bits_per_value)


def resnet152(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """ResNet-152 (torchvision) as 52 blocks: ``stem``, the 50 bottleneck blocks ``layer1.0`` ..
    ``layer4.2`` (3, 8, 36, 3 per stage) and ``fc``."""
    return _resnet("resnet152", (3, 8, 36, 3), height, width, bits_per_value)


def densenet121(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """DenseNet-121 (torchvision: growth 32, bottleneck 4 x 32) as 9 blocks: ``stem``
    (7 x 7 convolution, max pool), ``denseblock1`` .. ``denseblock4`` (6, 12, 24, 16 layers),
    ``transition1`` .. ``transition3`` (1 x 1 convolution halving the channels, 2 x 2 average
    pool) and ``classifier`` (global average pool, fully connected)."""
    net = _Net("densenet121", height, width, bits_per_value)
    x = net.pool(net.conv(net.input, 64, 7, 2, 3), 3, 2, 1)
    net.block("stem", x)
    for i, n in enumerate((6, 12, 24, 16), start=1):
        for _ in range(n):
            new = net.conv(net.conv(x, 4 * 32, 1), 32, 3, pad=1)
            x = _Map(x.h, x.w, x.c + new.c)
        net.block(f"denseblock{i}", x)
        if i < 4:
            x = net.pool(net.conv(x, x.c // 2, 1), 2)
            net.block(f"transition{i}", x)
    _classifier(net, x, "classifier")
    return net.table(f"DenseNet-121 ({_TORCHVISION})")


def mobilenet_v2(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """MobileNetV2 (torchvision, width 1.0) as 20 blocks: ``features.0`` (3 x 3 stem),
    ``features.1`` .. ``features.17`` (inverted residual blocks), ``features.18`` (1 x 1 to
    1280 channels) and ``classifier`` (global average pool, fully connected)."""
    net = _Net("mobilenet_v2", height, width, bits_per_value)
    x = net.conv(net.input, 32, 3, 2, 1)
    net.block("features.0", x)
    index = 1
    for t, c, n, s in ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)):
        for i in range(n):
            hidden = x.c * t
            y = net.conv(x, hidden, 1) if t != 1 else x
            y = net.conv(y, hidden, 3, s if i == 0 else 1, 1, groups=hidden)
            x = net.conv(y, c, 1)
            net.block(f"features.{index}", x)
            index += 1
    x = net.conv(x, 1280, 1)
    net.block(f"features.{index}", x)
    _classifier(net, x, "classifier")
    return net.table(f"MobileNetV2 ({_TORCHVISION})")


def _cat(*maps: _Map) -> _Map:
    return _Map(maps[0].h, maps[0].w, sum(m.c for m in maps))


def _inception_a(net: _Net, x: _Map, pool_features: int) -> _Map:
    b5 = net.conv(net.conv(x, 48, 1), 64, 5, pad=2)
    b3 = net.conv(net.conv(net.conv(x, 64, 1), 96, 3, pad=1), 96, 3, pad=1)
    return _cat(net.conv(x, 64, 1), b5, b3, net.conv(net.pool(x, 3, 1, 1), pool_features, 1))


def _inception_b(net: _Net, x: _Map) -> _Map:
    b3 = net.conv(x, 384, 3, 2)
    dbl = net.conv(net.conv(net.conv(x, 64, 1), 96, 3, pad=1), 96, 3, 2)
    return _cat(b3, dbl, net.pool(x, 3, 2))


def _inception_c(net: _Net, x: _Map, c7: int) -> _Map:
    b7 = net.conv(net.conv(net.conv(x, c7, 1), c7, (1, 7), pad=(0, 3)), 192, (7, 1), pad=(3, 0))
    dbl = net.conv(x, c7, 1)
    for cout, k, p in ((c7, (7, 1), (3, 0)), (c7, (1, 7), (0, 3)), (c7, (7, 1), (3, 0)), (192, (1, 7), (0, 3))):
        dbl = net.conv(dbl, cout, k, pad=p)
    return _cat(net.conv(x, 192, 1), b7, dbl, net.conv(net.pool(x, 3, 1, 1), 192, 1))


def _inception_d(net: _Net, x: _Map) -> _Map:
    b3 = net.conv(net.conv(x, 192, 1), 320, 3, 2)
    b7 = net.conv(net.conv(net.conv(x, 192, 1), 192, (1, 7), pad=(0, 3)), 192, (7, 1), pad=(3, 0))
    return _cat(b3, net.conv(b7, 192, 3, 2), net.pool(x, 3, 2))


def _inception_e(net: _Net, x: _Map) -> _Map:
    def split(y: _Map) -> _Map:  # parallel 1 x 3 and 3 x 1 convolutions, concatenated
        return _cat(net.conv(y, 384, (1, 3), pad=(0, 1)), net.conv(y, 384, (3, 1), pad=(1, 0)))

    b3 = split(net.conv(x, 384, 1))
    dbl = split(net.conv(net.conv(x, 448, 1), 384, 3, pad=1))
    return _cat(net.conv(x, 320, 1), b3, dbl, net.conv(net.pool(x, 3, 1, 1), 192, 1))


def inception_v3(height: int = 299, width: int = 299, bits_per_value: int = 32) -> pd.DataFrame:
    """Inception v3 (torchvision, inference: the auxiliary classifier runs only in training and
    is left out) as 17 blocks: the five stem convolutions ``Conv2d_1a_3x3`` .. ``Conv2d_4a_3x3``
    (max pools joined to 2b and 4a), the eleven modules ``Mixed_5b`` .. ``Mixed_7c`` (outputs
    35, 17, 8 px at 299 px) and ``fc`` (global average pool, classifier)."""
    net = _Net("inception_v3", height, width, bits_per_value)
    x = net.conv(net.input, 32, 3, 2)
    net.block("Conv2d_1a_3x3", x)
    x = net.conv(x, 32, 3)
    net.block("Conv2d_2a_3x3", x)
    x = net.pool(net.conv(x, 64, 3, pad=1), 3, 2)
    net.block("Conv2d_2b_3x3", x)
    x = net.conv(x, 80, 1)
    net.block("Conv2d_3b_1x1", x)
    x = net.pool(net.conv(x, 192, 3), 3, 2)
    net.block("Conv2d_4a_3x3", x)
    modules: List[Tuple[str, Callable[[_Map], _Map]]] = [
        ("Mixed_5b", lambda y: _inception_a(net, y, 32)), ("Mixed_5c", lambda y: _inception_a(net, y, 64)),
        ("Mixed_5d", lambda y: _inception_a(net, y, 64)), ("Mixed_6a", lambda y: _inception_b(net, y)),
        ("Mixed_6b", lambda y: _inception_c(net, y, 128)), ("Mixed_6c", lambda y: _inception_c(net, y, 160)),
        ("Mixed_6d", lambda y: _inception_c(net, y, 160)), ("Mixed_6e", lambda y: _inception_c(net, y, 192)),
        ("Mixed_7a", lambda y: _inception_d(net, y)), ("Mixed_7b", lambda y: _inception_e(net, y)),
        ("Mixed_7c", lambda y: _inception_e(net, y))]
    for name, module in modules:
        x = module(x)
        net.block(name, x)
    _classifier(net, x)
    return net.table(f"Inception v3 ({_TORCHVISION}, without the auxiliary classifier)")


def vit_b_16(height: int = 224, width: int = 224, bits_per_value: int = 32) -> pd.DataFrame:
    """ViT-B/16 (torchvision: 16 x 16 patches, 12 layers, 12 heads, width 768, MLP 3072) as 14
    blocks: ``patch_embedding`` (the 16 x 16 stride-16 convolution, class token, position
    embedding), ``encoder_layer_0`` .. ``encoder_layer_11`` (attention with its Q/K/V and output
    projections and the two matrix products, then the MLP) and ``heads`` (final layer norm and
    classifier on the class token). Height and width must be multiples of 16; other than 224 px
    that assumes interpolated position embeddings."""
    net = _Net("vit_b_16", height, width, bits_per_value)
    if net.input.h % 16 or net.input.w % 16:
        raise ValueError(f"vit_b_16: height and width must be multiples of the 16 px patch, got "
                         f"{net.input.h} x {net.input.w}")
    dim, heads, mlp = 768, 12, 3072
    patches = net.conv(net.input, dim, 16, 16)
    tokens = patches.h * patches.w + 1  # and the class token
    net.block("patch_embedding", (tokens, dim))
    for i in range(12):
        net.linear(dim, 3 * dim, tokens)  # Q, K, V projections
        for _ in range(heads):
            net.matmul(tokens, dim // heads, tokens)  # Q K^T
            net.matmul(tokens, tokens, dim // heads)  # softmax(.) V
        net.linear(dim, dim, tokens)  # output projection
        net.linear(net.linear(dim, mlp, tokens), dim, tokens)
        net.block(f"encoder_layer_{i}", (tokens, dim))
    net.block("heads", (net.linear(dim, 1000),))
    return net.table(f"ViT-B/16 ({_TORCHVISION}, attention matrix products included)")


def xception(height: int = 299, width: int = 299, bits_per_value: int = 32) -> pd.DataFrame:
    """Xception (Chollet 2017, the Keras layout) as 15 blocks: the stem (two convolutions), the
    three entry-flow blocks, the eight middle-flow blocks, the exit-flow block, the final
    separable convolutions with global pooling (``exit2``, Keras puts the pooling there), and
    the classifier. Needs at least 71 x 71 px."""
    if _positive_int(height, "height") < 71 or _positive_int(width, "width") < 71:
        raise ValueError(f"Xception needs an input of at least 71 x 71, got {height} x {width}")
    net = _Net("xception", height, width, bits_per_value)
    x = net.conv(net.conv(net.input, 32, 3, 2), 64, 3)
    net.block("stem", x)
    for i, cout in enumerate((128, 256, 728), start=1):
        net.conv(x, cout, 1, 2)  # strided 1 x 1 shortcut
        x = net.pool(net.sepconv(net.sepconv(x, cout), cout), 3, 2, 1)
        net.block(f"entry{i}", x)
    for i in range(1, 9):
        x = net.sepconv(net.sepconv(net.sepconv(x, 728), 728), 728)
        net.block(f"middle{i}", x)
    net.conv(x, 1024, 1, 2)
    x = net.pool(net.sepconv(net.sepconv(x, 728), 1024), 3, 2, 1)
    net.block("exit1", x)
    x = net.sepconv(net.sepconv(x, 1536), 2048)
    net.block("exit2", (x.c,))
    net.block("classifier", (net.linear(x.c, 1000),))
    return net.table("Xception (Keras layout), per-block multiply-accumulates by arithmetic")


_NETWORKS: Dict[str, Callable[..., pd.DataFrame]] = {
    f.__name__: f for f in (alexnet, vgg19, resnet50, resnet152, densenet121, mobilenet_v2, inception_v3,
                            vit_b_16, xception)}


def names() -> List[str]:
    """The networks :func:`get` knows, e.g. ``["alexnet", ..., "xception"]``."""
    return list(_NETWORKS)


def get(name: str, height: Optional[int] = None, width: Optional[int] = None, bits_per_value: int = 32) -> pd.DataFrame:
    """The block table of network ``name`` (see :func:`names`) at ``height x width`` px (default:
    the network's own, 224 px or 299 px for Inception v3 and Xception; ``width`` defaults to
    ``height``), each output value ``bits_per_value`` bits wide."""
    if name not in _NETWORKS:
        raise ValueError(f"unknown workload {name!r}; known: {', '.join(_NETWORKS)}")
    f = _NETWORKS[name]
    kw: Dict[str, Any] = {"bits_per_value": bits_per_value}
    if height is not None:
        kw["height"] = height
        kw["width"] = height if width is None else width
    elif width is not None:
        raise ValueError("pass height with width (width alone is ambiguous)")
    return f(**kw)


def split_bits(blocks: pd.DataFrame, input_bits_per_value: Optional[int] = None) -> np.ndarray:
    """Bits sent at each split point, shape (L + 1,): entry ``l`` is what crosses the link when
    blocks ``0 .. l-1`` run locally; entry 0 is the input image (``input_bits_per_value`` per
    value, default the table's ``bits_per_value``; 8 for a raw RGB image) and entry ``L`` the
    network's output. This is ``out_bits`` of :meth:`dvfskit.Problem.from_tables`."""
    if "input_shape" not in blocks.attrs or "out_bits" not in blocks:
        raise ValueError("blocks must be a table from dvfskit.workloads (attrs['input_shape'] and out_bits)")
    bits = blocks.attrs["bits_per_value"] if input_bits_per_value is None else \
        _positive_int(input_bits_per_value, "input_bits_per_value")
    first = float(math.prod(blocks.attrs["input_shape"])) * bits
    return np.concatenate([[first], blocks["out_bits"].to_numpy(float)])


def split_by_work(total: np.ndarray, blocks: pd.DataFrame) -> np.ndarray:
    """Spread a whole-model quantity (e.g. latency in ms over an (nF, nM) frequency grid) over
    the blocks in proportion to ``blocks.work_share``: returns shape ``(L, *total.shape)``.

    ASSUMPTION: every block scales with frequency like the whole model and takes time in
    proportion to its multiply-accumulates. Label results built on it as such."""
    share = np.asarray(blocks["work_share"], dtype=float)
    if share.ndim != 1 or share.size == 0 or not np.isclose(share.sum(), 1.0):
        raise ValueError("blocks.work_share must be a non-empty column summing to 1")
    total = np.asarray(total, dtype=float)
    return share.reshape((-1,) + (1,) * total.ndim) * total[None, ...]
