"""Workload block tables and the TX2 offloading example built on them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import dvfskit
from dvfskit import examples, workloads

# torchvision's published multiply-accumulates (weights metadata "GFLOPS", which count one per
# multiply-accumulate of convolutions and fully connected layers, and ViT's attention products),
# at 224 px and 299 px for Inception v3. They are given to two decimals, so an exact count of the
# same layers must round to them: |ours - published| <= 0.005 GMACs (half the last digit).
PUBLISHED_GMACS = {"alexnet": 0.71, "vgg19": 19.63, "resnet50": 4.09, "resnet152": 11.51,
                   "densenet121": 2.83, "mobilenet_v2": 0.30, "inception_v3": 5.71, "vit_b_16": 17.56}
COLUMNS = ["block", "name", "macs", "work_share", "out_shape", "out_values", "out_bits"]


def test_registry_lists_every_network() -> None:
    assert workloads.names() == list(PUBLISHED_GMACS) + ["xception"]
    for name in workloads.names():
        blocks = workloads.get(name)
        pd.testing.assert_frame_equal(blocks, getattr(workloads, name)())
        assert list(blocks.columns) == COLUMNS
        assert blocks.attrs["network"] == name and blocks.attrs["bits_per_value"] == 32
    with pytest.raises(ValueError, match="unknown workload 'resnet18'.*resnet50"):
        workloads.get("resnet18")


@pytest.mark.parametrize("name", list(PUBLISHED_GMACS))
def test_total_matches_torchvision(name: str) -> None:
    blocks = workloads.get(name)
    assert abs(blocks["macs"].sum() / 1e9 - PUBLISHED_GMACS[name]) <= 0.005
    assert blocks["work_share"].sum() == pytest.approx(1.0, rel=1e-12)
    assert (blocks["macs"] > 0).all()
    np.testing.assert_array_equal(blocks["block"], np.arange(len(blocks)))
    assert blocks["name"].is_unique
    np.testing.assert_array_equal(blocks["out_values"], [np.prod(s) for s in blocks["out_shape"]])
    np.testing.assert_array_equal(blocks["out_bits"], blocks["out_values"] * 32.0)
    assert blocks["out_shape"].iloc[-1] == (1000,)  # ImageNet logits
    side = 299 if name == "inception_v3" else 224
    assert blocks.attrs["input_shape"] == (side, side, 3)
    assert blocks.attrs["input_bits"] == side * side * 3 * 32


def shapes(blocks: pd.DataFrame, names: list) -> list:
    by_name = blocks.set_index("name")["out_shape"]
    return [by_name[n] for n in names]


def test_feature_map_sizes_match_the_papers() -> None:
    # ResNet stages: 56, 28, 14, 7 px with 256, 512, 1024, 2048 channels (He et al. 2016, Table 1)
    for name, last in (("resnet50", (2, 3, 5, 2)), ("resnet152", (2, 7, 35, 2))):
        blocks = workloads.get(name)
        assert len(blocks) == 2 + sum(last) + 4
        assert shapes(blocks, ["stem"] + [f"layer{s + 1}.{i}" for s, i in enumerate(last)]) == [
            (56, 56, 64), (56, 56, 256), (28, 28, 512), (14, 14, 1024), (7, 7, 2048)]
    # DenseNet-121: dense blocks add 32 channels per layer, transitions halve channels and size
    blocks = workloads.densenet121()
    assert list(blocks["out_shape"])[:-1] == [(56, 56, 64), (56, 56, 256), (28, 28, 128), (28, 28, 512),
                                              (14, 14, 256), (14, 14, 1024), (7, 7, 512), (7, 7, 1024)]
    # MobileNetV2, Sandler et al. 2018 Table 2: output of each bottleneck sequence
    blocks = workloads.mobilenet_v2()
    assert shapes(blocks, [f"features.{i}" for i in (0, 1, 3, 6, 10, 13, 16, 17, 18)]) == [
        (112, 112, 32), (112, 112, 16), (56, 56, 24), (28, 28, 32), (14, 14, 64), (14, 14, 96), (7, 7, 160),
        (7, 7, 320), (7, 7, 1280)]
    # Inception v3 (Szegedy et al. 2016, Table 1): 35 x 35 x 288, 17 x 17 x 768, 8 x 8 x 2048
    blocks = workloads.inception_v3()
    assert shapes(blocks, ["Conv2d_1a_3x3", "Conv2d_4a_3x3", "Mixed_5d", "Mixed_6e", "Mixed_7c"]) == [
        (149, 149, 32), (35, 35, 192), (35, 35, 288), (17, 17, 768), (8, 8, 2048)]
    # VGG-19: five pooled stages 112 .. 7 px; AlexNet: 27, 13, 13, 13, 6 px
    blocks = workloads.vgg19()
    assert shapes(blocks, ["conv1_2", "conv2_2", "conv3_4", "conv4_4", "conv5_4"]) == [
        (112, 112, 64), (56, 56, 128), (28, 28, 256), (14, 14, 512), (7, 7, 512)]
    assert list(workloads.alexnet()["out_shape"]) == [(27, 27, 64), (13, 13, 192), (13, 13, 384), (13, 13, 256),
                                                      (6, 6, 256), (4096,), (4096,), (1000,)]
    # ViT-B/16: 14 x 14 patches and the class token, 768 wide, through 12 encoder layers
    blocks = workloads.vit_b_16()
    assert len(blocks) == 14 and set(blocks["out_shape"].iloc[:-1]) == {(197, 768)}
    assert workloads.vit_b_16(384, 384)["out_shape"].iloc[0] == (577, 768)


def test_block_macs_from_closed_forms() -> None:
    """Per-block counts against formulas derived by hand from the papers' layer tables."""
    vgg = workloads.vgg19().set_index("name")["macs"]
    assert vgg["conv1_1"] == 224 * 224 * 64 * 3 * 9
    assert vgg["conv5_4"] == 14 * 14 * 512 * 512 * 9
    assert vgg["fc6"] == 7 * 7 * 512 * 4096
    # a ResNet bottleneck without projection at s x s px and width p: s^2 (4p^2 + 9p^2 + 4p^2)
    res = workloads.resnet152().set_index("name")["macs"]
    for name, s, p in (("layer1.1", 56, 64), ("layer3.20", 14, 256), ("layer4.2", 7, 512)):
        assert res[name] == 17 * s * s * p * p
    # a ViT encoder layer on T tokens of width d: Q, K, V, output projections 4 T d^2, MLP 8 T d^2,
    # attention products 2 T^2 d
    T, d = 197, 768
    vit = workloads.vit_b_16().set_index("name")["macs"]
    assert vit["encoder_layer_5"] == 12 * T * d * d + 2 * T * T * d
    assert vit["patch_embedding"] == 196 * d * 3 * 16 * 16
    # DenseNet-121 dense block 1: layer i sees 64 + 32 i channels; 1 x 1 to 128, 3 x 3 to 32
    dense = workloads.densenet121().set_index("name")["macs"]
    assert dense["denseblock1"] == sum(56 * 56 * ((64 + 32 * i) * 128 + 128 * 9 * 32) for i in range(6))


@pytest.mark.parametrize("name", ["vgg19", "resnet50", "resnet152", "densenet121", "mobilenet_v2"])
def test_convolutions_scale_with_the_pixel_count(name: str) -> None:
    """At twice the side every feature map doubles its side exactly, so convolution work grows
    4x, while the classifiers (after adaptive or global pooling) stay the same."""
    small, large = workloads.get(name, 224), workloads.get(name, 448)
    fc = small["name"].str.startswith(("fc", "classifier"))
    np.testing.assert_array_equal(large.loc[~fc, "macs"], 4 * small.loc[~fc, "macs"])
    np.testing.assert_array_equal(large.loc[fc, "macs"], small.loc[fc, "macs"])
    conv_maps = [s for s in small.loc[~fc, "out_shape"]]
    assert [s for s in large.loc[~fc, "out_shape"]] == [(2 * h, 2 * w, c) for h, w, c in conv_maps]


def test_xception_matches_the_published_size() -> None:
    blocks = workloads.xception(299, 299)
    assert len(blocks) == 15
    # Chollet (2017) / Keras: about 8.4 billion multiply-adds at 299 x 299
    assert blocks["macs"].sum() == pytest.approx(8.4e9, rel=0.02)
    assert blocks["work_share"].sum() == pytest.approx(1.0)
    assert tuple(blocks.loc[3, "out_shape"]) == (19, 19, 728)
    assert tuple(blocks.loc[12, "out_shape"]) == (10, 10, 1024)
    assert blocks.loc[13, "out_bits"] == 2048 * 32
    assert blocks.attrs["input_bits"] == 299 * 299 * 3 * 32
    with pytest.raises(ValueError, match="at least 71"):
        workloads.xception(64, 64)


def test_bits_sizes_and_split_points() -> None:
    blocks = workloads.get("resnet50", 256, 192, bits_per_value=16)
    assert blocks.attrs["input_shape"] == (256, 192, 3)
    assert blocks["out_shape"].iloc[0] == (64, 48, 64)
    np.testing.assert_array_equal(blocks["out_bits"], blocks["out_values"] * 16.0)
    bits = workloads.split_bits(blocks)
    assert bits.shape == (len(blocks) + 1,)
    assert bits[0] == 256 * 192 * 3 * 16 and bits[-1] == 1000 * 16
    np.testing.assert_array_equal(bits[1:], blocks["out_bits"])
    assert workloads.split_bits(blocks, input_bits_per_value=8)[0] == 256 * 192 * 3 * 8
    assert workloads.get("vgg19", 300).attrs["input_shape"] == (300, 300, 3)


def test_split_bits_builds_a_problem() -> None:
    blocks = workloads.mobilenet_v2()
    latency = np.array([[20.0, 15.0], [12.0, 9.0]])  # ms over 2 compute x 2 memory frequencies
    block_latency = workloads.split_by_work(latency, blocks)
    server = np.concatenate([np.cumsum(blocks["work_share"].to_numpy()[::-1])[::-1], [0.0]]) * 2.0
    problem = dvfskit.Problem.from_tables(block_latency, np.full(block_latency.shape, 5.0), [500.0, 1000.0],
                                          [800.0, 1600.0], workloads.split_bits(blocks, 8), server,
                                          deadline_ms=30.0, bandwidth_hz=1e6, gain=1e-11, noise_w_per_hz=4e-21,
                                          p_max_w=0.5, p_circuit_w=0.1)
    assert problem.num_blocks == len(blocks)
    assert dvfskit.solve(problem).feasible


@pytest.mark.parametrize("call, message", [
    (lambda: workloads.alexnet(60, 60), "alexnet: an input of 60 x 60 is too small"),
    (lambda: workloads.inception_v3(64, 299), "inception_v3: an input of 64 x 299 is too small"),
    (lambda: workloads.resnet50(224.5), "height must be a whole number"),
    (lambda: workloads.resnet50(0), "height must be finite and > 0"),
    (lambda: workloads.vgg19(224, "224"), "width must be a number"),
    (lambda: workloads.densenet121(bits_per_value=0), "bits_per_value must be finite and > 0"),
    (lambda: workloads.vit_b_16(200, 200), "multiples of the 16 px patch"),
    (lambda: workloads.get("resnet50", width=300), "pass height with width"),
    (lambda: workloads.split_bits(pd.DataFrame({"out_bits": [1.0]})), "table from dvfskit.workloads"),
    (lambda: workloads.split_bits(workloads.alexnet(), 0), "input_bits_per_value must be finite"),
])
def test_bad_input_is_named(call, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()


def test_split_by_work_preserves_totals() -> None:
    blocks = workloads.xception(200, 200)
    total = np.array([[10.0, 8.0], [6.0, 5.0]])
    per_block = workloads.split_by_work(total, blocks)
    assert per_block.shape == (15, 2, 2)
    np.testing.assert_allclose(per_block.sum(axis=0), total)


def test_tx2_offloading_problem_is_consistent_with_the_measurements() -> None:
    problem = examples.tx2_offloading_problem("400x400", deadline_ms=300)
    latency, power, fq, mq = examples.tx2_tables("400x400")
    np.testing.assert_allclose(problem.block_latency_ms.sum(axis=0), latency)
    assert "ASSUMPTION" not in problem.assumptions.to_string()  # plain labels
    assert set(problem.assumptions.index) >= {"block latency", "block power", "server", "channel"}
    solution = dvfskit.solve(problem)
    assert solution.feasible
    # all local at the deadline: the energy is the measured whole-model energy at the chosen (f, m)
    if solution.split == len(problem.out_bits) - 1:
        i, j = list(fq).index(solution.compute_freq_mhz), list(mq).index(solution.mem_freq_mhz)
        assert solution.energy_j == pytest.approx(latency[i, j] * power[i, j] / 1000, rel=1e-9)
    with pytest.raises(ValueError, match="input_size"):
        examples.tx2_offloading_problem("123x123")
