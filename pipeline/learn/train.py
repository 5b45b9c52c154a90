"""LoRA fine-tuning on the Q&A dataset with trl's SFTTrainer: QLoRA (4-bit NF4 base) on
CUDA, LoRA on the fp32 de-quantized base on the CPU (see CPU_NF4).

`train(config, on_progress)` is what the CLI, the job runner and Slack's retrain call: it
writes the adapter, report.json, loss.png and adapter.gguf to `output_dir/final`, registers
the adapter as a candidate model and returns the report. Each run gets a folder of its own
(by default `<db folder>/models/<model name>`): a run never writes over the files of a
registered model, the one in service included."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from pipeline.embedded import EMBEDDED_LLM
from pipeline.flags import flag

LORA_TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LORA = {"r": 16, "lora_alpha": 32, "lora_dropout": 0.05}
# On the CPU the base stays fp32, not 4-bit NF4 (QLoRA), measured on the embedded model:
# NF4 re-quantizes weights that are already Q4_1, so it trains against a different model
# from the one llama.cpp serves (top-1 agreement with llama.cpp over 12 sample prompts: 68%
# for NF4, 95% for the fp32 de-quantized base; last-position logit correlation 0.963 vs
# 0.9996). Speed does not make up for it: the same within this machine's noise (identical
# 8x192-token steps: 8.8 s fp32 vs 9.7 s NF4, median, 2 threads; `bench.train` on the same
# batches: 142 vs 148 tokens/s). CUDA always uses NF4 (QLoRA), for 7B models.
CPU_NF4 = False

ProgressFn = Callable[[int, int, float, float], None]  # (step, total, loss, eta_s)


class TrainError(RuntimeError):
    """A run that cannot start (no model, no incidents, no GPU): its message is one clear
    line for the person who started it; nothing stored is touched."""



@dataclass
class TrainConfig:
    """The flags of `postmortem train` are these fields (pipeline.cli.options_from)."""

    db: str | None = None
    base_model: str = flag(EMBEDDED_LLM,
        "The embedded SmolLM2-135M-Instruct, a .gguf file, a local folder, or a hub id "
        "(e.g. mistralai/Mistral-7B-Instruct-v0.3 on a GPU).")
    output_dir: str | None = flag(None,
        "Checkpoints, and the result in OUTPUT_DIR/final (default: <db folder>/models/<model name>).")
    epochs: float = flag(2.0, "Passes over the training split.")
    max_steps: int = flag(-1, "Stop after this many steps; > 0 overrides --epochs.")
    batch_size: int = flag(8, "Examples per step.")
    learning_rate: float | None = flag(None,
        "Peak learning rate, cosine decay (default: 1e-3 for the embedded model, 2e-4 for others).")
    # The served-task examples are the answerer's prompt (instructions, three incidents) plus a
    # cited answer: 411 tokens median, 487 at most on ../shared/corpus; at 384 their answers were
    # cut off. The seed examples (131 median) are batched apart by length, so they stay cheap.
    max_length: int = flag(512, "Longer examples are cut to this many tokens.")
    seed: int = flag(42, "Seed for initialisation and batch order.")
    resume: bool = flag(False, "Continue from the last checkpoint in --output-dir.")
    require_gpu: bool = flag(False, "Fail unless a CUDA GPU is available.")
    served_examples: bool = flag(True,
        "Also train the served task: symptom questions over retrieved incidents, answered citing [n].")
    dataset: str | None = flag(None,
        "Train on DIR/train.jsonl as `postmortem dataset --out DIR` wrote it, instead of building "
        "the set here: build it where the index is, train on a GPU machine without one.")


def default_learning_rate(base_model: str | None) -> float:
    """1e-3 for the embedded 135M model: on the sample corpus, 30 steps brought the held-out
    answer loss from 4.14 (base) to 3.82 at 2e-4, 3.64 at 1e-3 and 3.62 at 2e-3. 2e-4, the
    QLoRA recipe's, for 7B-class models."""
    from pipeline.learn.base_model import is_embedded

    return 1e-3 if is_embedded(base_model) else 2e-4


def prefer_passive_omp_waits() -> bool:
    """Make torch's OpenMP threads sleep, not spin, while they wait (OMP_WAIT_POLICY=PASSIVE),
    if torch is not loaded yet; True if it took effect.

    On a machine shared with other busy processes (the bot answering, other jobs), spinning
    threads of one training step wait on a descheduled sibling at every one of the thousands
    of small ops: measured on 2 cores at load average ~3, four steps of the test run took
    85-106 s spinning and 9.5-10 s passive. It applies to the whole process (one libgomp per
    process, read when it loads) and llama.cpp generation prefers spinning (110 vs 40
    tokens/s measured alike), so it is set only by the training entry points, never on import."""
    if "torch" in sys.modules:
        return os.environ.get("OMP_WAIT_POLICY", "").upper() == "PASSIVE"
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    return os.environ["OMP_WAIT_POLICY"].upper() == "PASSIVE"


def train(config: TrainConfig, on_progress: ProgressFn | None = None, *, job_id: int | None = None) -> dict:
    """Train, export and register one adapter; return the report (with `model_id` and
    `final_dir`). Raises TrainError for a run that cannot start. `job_id`: the retrain job
    this run belongs to (recorded with the candidate, so the job's death can be cleaned up)."""
    prefer_passive_omp_waits()
    import torch

    from storage import Database, default_db_path

    device = "cuda" if torch.cuda.is_available() else "cpu"
    if config.require_gpu and device != "cuda":
        raise TrainError("--require-gpu was given but no CUDA GPU is available")
    if config.resume and not config.output_dir:
        raise TrainError("--resume needs the --output-dir of the run to continue")
    checkpoint = _resume_point(config.output_dir) if config.resume else None
    db = Database(config.db or default_db_path())
    try:
        if not db.count_incidents():
            raise TrainError("no incidents to train on: run `postmortem extract` first (or give `train` a --source)")
        _check_base_model(config.base_model)
        name = _model_name(config)
        config = replace(config, output_dir=_output_dir(config, db, name))
        data = _examples(db, config)
        if not data["train"]:
            raise TrainError("every stored incident is in the held-out split: extract more post-mortems")
        run = prepare(config, data["train"], device=device, on_progress=on_progress)
        started = time.perf_counter()
        run.trainer.train(resume_from_checkpoint=checkpoint)
        wall = time.perf_counter() - started
        return _finish(config, run, data, wall, device, db, name=name, job_id=job_id)
    finally:
        db.close()


def _examples(db, config: TrainConfig) -> dict[str, list[dict]]:
    from pipeline.learn.dataset import DatasetError, read_dataset, training_set

    if not config.dataset:
        return training_set(db, config.served_examples)
    try:
        return read_dataset(config.dataset)
    except DatasetError as exc:
        raise TrainError(str(exc)) from None


def _model_name(config: TrainConfig) -> str:
    return f"{Path(config.base_model).name.removesuffix('.gguf')}-lora-{time.strftime('%Y%m%d-%H%M%S')}"


def _output_dir(config: TrainConfig, db, name: str) -> str:
    """The run's folder, absolute: the one asked for, unless a registered model's files are
    in it (--resume may continue a run that registered a candidate); by default a new one beside the database, `models/<name>` (`-2`, `-3`... when
    two runs start in the same second)."""
    from storage.models import ModelStore

    if config.output_dir:
        folder = Path(config.output_dir).expanduser().resolve()
        taken = ModelStore(db).using_path(folder)
        if config.resume:  # continuing a run may replace its own candidate, never a served model
            taken = [m for m in taken if m["status"] != "candidate"]
        if taken:
            raise TrainError(
                f"{folder} holds the files of model #{taken[0]['id']} ({taken[0]['status']}): "
                "pass another --output_dir (or none: each run then gets its own folder)"
            )
        return str(folder)
    base = db.path.resolve().parent / "models" / name
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{name}-{n}")
    return str(folder)


def _finish(config: TrainConfig, run: "Run", data: dict, wall: float, device: str, db, *,
            name: str, job_id: int | None) -> dict:
    import torch

    from pipeline.learn.gguf_export import ExportError, export_lora_gguf
    from storage.models import ModelStore

    final = Path(config.output_dir) / "final"
    model = run.trainer.model
    model.save_pretrained(final)
    run.tokenizer.save_pretrained(final)
    log = run.log
    # From the trainer state, so that a resumed run's curve includes the steps before it.
    history = [(h["step"], h["loss"]) for h in run.trainer.state.log_history if "loss" in h]
    report = {
        "settings": {**asdict(config), "device": device, "quantized_base": run.quantized,
                     "learning_rate": run.trainer.args.learning_rate,
                     "lora": {**LORA, "target_modules": LORA_TARGETS},
                     "threads": torch.get_num_threads(),
                     "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY", "default")},
        "train_examples": len(data["train"]),
        "heldout_examples": len(data["heldout"]),
        "steps": run.trainer.state.global_step,
        "loss": [loss for _, loss in history],
        "loss_steps": [step for step, _ in history],
        "wall_s": round(wall, 2),
        "tokens": log.tokens,
        "tokens_per_s": round(log.tokens / wall, 2) if wall else None,
        "examples_per_s": round(log.examples / wall, 3) if wall else None,
        "final_dir": str(final),
    }
    _plot_loss(history, final / "loss.png")
    try:
        config_dict = model.get_base_model().config.to_dict()
        report["adapter_gguf"] = str(export_lora_gguf(final, final / "adapter.gguf", config_dict))
    except ExportError as exc:  # a non-llama base: served by transformers only
        report["adapter_gguf"] = None
        report["adapter_gguf_skipped"] = str(exc)
    report["model_id"] = ModelStore(db).add_candidate(
        name=name,
        base_model=config.base_model,
        adapter_path=str(final),
        gguf_adapter_path=report["adapter_gguf"],
        report=report,
        job_id=job_id,
    )
    (final / "report.json").write_text(json.dumps(report, indent=2))
    return report


def _check_base_model(name: str) -> None:
    """A model that is not there fails in a second, before the served examples' retrieval
    loads the embedder and the index."""
    from pipeline.embedded import ModelNotFound
    from pipeline.learn.base_model import load_tokenizer

    try:
        load_tokenizer(name)
    except ModelNotFound as exc:
        raise TrainError(str(exc)) from None


def _resume_point(output_dir: str) -> str:
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(output_dir) if Path(output_dir).is_dir() else None
    if last is None:
        raise TrainError(f"--resume: no checkpoint in {output_dir}")
    return last


def _plot_loss(history: list[tuple[int, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in jobs
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot([s for s, _ in history], [v for _, v in history], marker="." if len(history) < 50 else None)
    ax.set_xlabel("step")
    ax.set_ylabel("training loss (answer tokens)")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


@dataclass
class Run:
    trainer: object
    tokenizer: object
    log: object  # the StepLog callback: tokens, examples, loss per step
    quantized: bool



def prepare(config: TrainConfig, examples: list[dict], *, device: str, on_progress: ProgressFn | None = None,
            quantize: bool | None = None, baseline: bool = False) -> Run:
    """Model, tokenizer and trainer for `examples`, ready to `.train()`.

    baseline=True is the benchmark's reference point: trl as it comes (fp32 here), every
    sequence padded to 384 tokens, logits over all positions, random batches."""
    prefer_passive_omp_waits()
    from datasets import Dataset
    from peft import LoraConfig, prepare_model_for_kbit_training
    from transformers import PrinterCallback, set_seed
    from trl import SFTConfig

    from pipeline.learn.base_model import load_model, load_tokenizer
    from pipeline.embedded import ModelNotFound

    set_seed(config.seed)
    cuda = device == "cuda"
    if quantize is None:
        quantize = cuda or CPU_NF4
    try:
        tokenizer = load_tokenizer(config.base_model)
        model = load_model(config.base_model, quantize=quantize, device=device)
    except ModelNotFound as exc:
        raise TrainError(str(exc)) from None
    if quantize:
        # Gradient checkpointing trades compute for memory: needed for a 7B model on a GPU,
        # pure loss for a 135M model on the CPU.
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cuda)

    args = SFTConfig(
        output_dir=config.output_dir,
        num_train_epochs=config.epochs,
        max_steps=config.max_steps if config.max_steps and config.max_steps > 0 else -1,
        per_device_train_batch_size=config.batch_size,
        learning_rate=config.learning_rate or default_learning_rate(config.base_model),
        lr_scheduler_type="cosine",
        warmup_steps=0.05,
        max_length=config.max_length,
        seed=config.seed,
        data_seed=config.seed,
        completion_only_loss=True,
        # trl defaults to bf16; on these CPUs a bf16 matmul is ~30x slower than fp32.
        bf16=cuda,
        fp16=False,
        use_cpu=not cuda,
        gradient_checkpointing=cuda,
        # Batches of similar lengths, padded only to their longest: little compute on padding.
        train_sampling_strategy="random" if baseline else "group_by_length",
        pad_to_multiple_of=384 if baseline else None,
        logging_steps=1,
        save_strategy="steps",
        save_steps=50,
        save_total_limit=2,
        report_to="none",
        dataloader_num_workers=0,
        # The caller shows progress (on_progress): one bar of ours, not the trainer's.
        disable_tqdm=True,
    )
    peft_config = LoraConfig(task_type="CAUSAL_LM", target_modules=LORA_TARGETS, **LORA)
    dataset = Dataset.from_list([{"prompt": e["prompt"], "completion": e["completion"]} for e in examples])
    log = _step_log(on_progress)
    trainer = _trainer_class(full_logits=baseline)(
        model=model,
        args=args,
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[log],
    )
    trainer.step_log = log
    # Without its tqdm bar the trainer prints every log dict to stdout; the caller's
    # on_progress is the one report of progress.
    trainer.remove_callback(PrinterCallback)
    return Run(trainer=trainer, tokenizer=tokenizer, log=log, quantized=quantize)


def _trainer_class(full_logits: bool):
    import torch.nn.functional as F
    from trl import SFTTrainer

    class Trainer(SFTTrainer):
        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            self.step_log.count(inputs)
            if full_logits or return_outputs:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            # The vocabulary projection costs a third of this model's FLOPs per token, and
            # trl's fused head scores every position on the CPU: project only the positions
            # whose next token is a label (the answer), not the prompt and padding.
            labels = inputs["labels"][:, 1:]
            keep = labels != -100
            hidden = model.get_base_model().get_decoder()(
                input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"), use_cache=False
            ).last_hidden_state[:, :-1]
            logits = model.get_output_embeddings()(hidden[keep]).float()
            total = F.cross_entropy(logits, labels[keep], reduction="sum")
            return total / (num_items_in_batch if num_items_in_batch else keep.sum().clamp(min=1))

    return Trainer


def _step_log(on_progress: ProgressFn | None):
    from transformers import TrainerCallback

    class StepLog(TrainerCallback):
        """Counts the real (non-padding) tokens trained on and reports (step, total, loss,
        eta_s) to on_progress after each step."""

        def __init__(self):
            self.tokens = self.padded_tokens = self.scored_tokens = self.examples = 0
            self.last_lengths: list[int] = []
            self.started = time.perf_counter()
            self.first_step = 0

        def count(self, inputs) -> None:
            ids, mask = inputs["input_ids"], inputs.get("attention_mask")
            self.last_lengths = mask.sum(1).tolist() if mask is not None else [ids.shape[1]] * ids.shape[0]
            self.tokens += sum(self.last_lengths)
            self.padded_tokens += ids.numel()
            self.scored_tokens += int((inputs["labels"][:, 1:] != -100).sum())
            self.examples += ids.shape[0]

        def on_train_begin(self, args, state, control, **kw):
            self.started = time.perf_counter()
            self.first_step = state.global_step  # > 0 when resuming

        def on_log(self, args, state, control, logs=None, **kw):
            if not logs or "loss" not in logs:
                return
            loss = float(logs["loss"])
            done = state.global_step - self.first_step
            elapsed = time.perf_counter() - self.started
            eta = elapsed / done * (state.max_steps - state.global_step) if done else math.nan
            if on_progress:
                on_progress(state.global_step, state.max_steps, loss, eta)

    return StepLog()
