"""Training flags and the way back: the model card prints `train_flags` so that a run can be repeated."""

from __future__ import annotations

from dataclasses import asdict, replace

import pytest

from melanoscan.training.config import TrainConfig, parse_args, train_flags


def test_flags_rebuild_the_config_they_came_from():
    config = replace(
        TrainConfig(),
        out="runs/x",
        backbone="efficientnet-lite2",
        image_size=260,
        crop_pct=0.89,
        epochs=9,
        lr=0.001,
        freeze_blocks=-1,
        seed=7,
        pretrained=False,
    )
    flags = train_flags(asdict(config))
    assert parse_args(flags) == config
    assert "--no-pretrained" in flags and "--backbone" in flags


def test_a_backbone_trains_at_its_native_size_unless_told():
    assert (parse_args(["--backbone", "efficientnet-lite2"]).image_size, parse_args([]).image_size) == (260, 224)
    assert parse_args(["--backbone", "efficientnet-lite1"]).crop_pct == 0.882
    at_224 = replace(TrainConfig(), backbone="efficientnet-lite2", image_size=224, crop_pct=0.875)
    assert parse_args(train_flags(asdict(at_224))) == at_224  # a non-native size survives the round trip


def test_defaults_and_machine_settings_are_left_out():
    flags = train_flags({**asdict(TrainConfig()), "threads": 16, "data_dir": "/data", "unknown_key": 1})
    assert flags == ["--out", TrainConfig().out]


def test_unknown_backbone_is_refused():
    with pytest.raises(SystemExit):
        parse_args(["--backbone", "resnet50"])
