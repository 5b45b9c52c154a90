"""Flags generated from config dataclasses (pipeline.cli.options_from) and the quiet entry
points (pipeline.logs)."""

import dataclasses
import subprocess
import sys
from dataclasses import dataclass, field

import click
from click.testing import CliRunner

from pipeline.cli import main, options_from
from pipeline.evaluate.gate import GateConfig
from pipeline.evaluate.harness import EvalConfig
from pipeline.learn.train import TrainConfig
from tests.paths import ROOT


@dataclass
class Sample:
    output_dir: str = field(default="./out", metadata={"help": "Where it goes."})
    max_steps: int = -1
    rate: float | None = None
    resume: bool = False
    served: bool = True


def _invoke(*args):
    seen = {}

    @click.command()
    @options_from(Sample)
    def command(**fields):
        seen.update(fields)

    result = CliRunner().invoke(command, list(args))
    return result, Sample(**seen) if result.exit_code == 0 else None


def test_fields_are_the_flags_with_their_types_and_defaults():
    result, config = _invoke()
    assert config == Sample()
    result, config = _invoke("--output-dir", "a", "--max_steps", "7", "--rate", "0.5", "--resume", "--no-served")
    assert config == Sample(output_dir="a", max_steps=7, rate=0.5, resume=True, served=False)
    # The underscore spelling (the seed's --output_dir) is the same flag.
    assert _invoke("--output_dir", "b")[1].output_dir == "b"
    result, _ = _invoke("--max-steps", "many")
    assert result.exit_code == 2 and "is not a valid integer" in result.output


def test_train_eval_and_gate_commands_have_every_config_field():
    runner = CliRunner()
    for command, config in ((["train"], TrainConfig), (["eval"], EvalConfig), (["models", "gate"], GateConfig)):
        help_text = runner.invoke(main, [*command, "--help"], terminal_width=200).output
        for f in dataclasses.fields(config):
            assert f"--{f.name.replace('_', '-')}" in help_text, (command, f.name)
    help_text = runner.invoke(main, ["train", "--help"], terminal_width=200).output
    assert "--base-model, --base_model" in help_text and "--output-dir, --output_dir" in help_text


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)


NOISE = """
import logging, warnings
from pipeline.logs import setup_output
setup_output({verbose})
logging.getLogger("bitsandbytes.backends.cpu.ops").warning("Failed to load CPU gemm_4bit_forward from kernels-community")
logging.getLogger("transformers.trainer").warning("a library warning")
warnings.warn("`tokenizer` is deprecated", FutureWarning)
from datasets.utils.tqdm import are_progress_bars_disabled
from tqdm.auto import tqdm
for _ in tqdm(range(3), desc="a library's own bar"):
    pass
from pipeline.logs import ProgressBar
bar = ProgressBar("our stage")
bar(1, 2)
bar.close()
print("ours", are_progress_bars_disabled())
"""


def test_library_noise_is_silenced_at_the_entry_points_and_shown_with_verbose():
    quiet = _run_python(NOISE.format(verbose=False))
    assert quiet.returncode == 0, quiet.stderr
    assert quiet.stdout == "ours True\n"
    assert "our stage" in quiet.stderr  # one bar per long stage: ours
    assert "gemm_4bit" not in quiet.stderr and "Warning" not in quiet.stderr and "library" not in quiet.stderr
    loud = _run_python(NOISE.format(verbose=True))
    assert "gemm_4bit_forward" in loud.stderr and "FutureWarning" in loud.stderr
