"""Config dataclass fields that are also command-line flags: `pipeline.cli.options_from` turns
each field of TrainConfig, EvalConfig and GateConfig into a flag, with this help text."""

from __future__ import annotations

import dataclasses


def flag(default, help: str):
    return dataclasses.field(default=default, metadata={"help": help})
