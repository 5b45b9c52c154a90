"""Training throughput on this machine: the chosen CPU recipe against plain trl, on a
600-example set (three questions per incident, the real prompt format).

Run: .venv/bin/python -m bench.train [--rounds R] [--steps N]

Each recipe trains a few steps on the embedded SmolLM2-135M, in interleaved rounds with a
new batch order each (the first step is warm-up and not timed); minutes per epoch are extrapolated from the measured
seconds per padded token and the epoch's real batches (same sampler and collator as a full
run). MFU is the useful model FLOPs per second as a share of the fp32 matmul rate measured
here with torch. The machine is shared: the load average during the run is printed."""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import tempfile
import time
from pathlib import Path

from pipeline.learn.dataset import examples_for

N_EXAMPLES = 600
SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def examples_600() -> tuple[list[dict], str]:
    """600 prompt/completion examples: from the sample corpus when it is there (ingested
    through the real parser, cycled to 600), else from generated incidents."""
    incidents = _sample_incidents() if SAMPLES.is_dir() else []
    origin = f"{len(incidents)} sample incidents, cycled" if incidents else "generated incidents"
    if not incidents:
        incidents = synthetic_incidents(N_EXAMPLES // 3)
    examples = [e for i in incidents for e in examples_for(i)]
    return list(itertools.islice(itertools.cycle(examples), N_EXAMPLES)), origin


def _sample_incidents() -> list[dict]:
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest
    from storage import Database

    with tempfile.TemporaryDirectory() as tmp:
        db = Database(Path(tmp) / "bench.db")
        for org in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
            ingest(db, LocalFolder(str(org)))
        incidents = db.incidents()
        db.close()
    return incidents


def synthetic_incidents(n: int, seed: int = 0) -> list[dict]:
    """Incidents shaped like real post-mortems: a titled outage of one or two services, a
    timeline of 5-10 timestamped events, a root cause and a fix of one to three sentences."""
    rng = random.Random(seed)
    services = ["payments-api", "ledger-db", "auth-service", "checkout-web", "search-indexer",
                "kafka-cluster", "edge-proxy", "billing-worker", "object-store", "dns-resolver"]
    causes = [
        ("capacity", "the connection pool of {s} was sized for {n} pods while the autoscaler went to {m}"),
        ("deployment", "release {v} of {s} changed the keep-alive timeout below the load balancer's idle timeout"),
        ("configuration", "a config push set the {s} rate limit to {n} requests per second instead of {m}"),
        ("database", "a missing index on the {s} orders table turned a {n} ms query into a {m} s scan"),
        ("network", "a BGP session flap at the transit provider dropped {n}% of packets to {s}"),
        ("dependency", "the vendor behind {s} timed out after {n} s and our client retried {m} times"),
    ]
    fixes = [
        "rolled {s} back to the previous release and paused the deploy pipeline",
        "raised the limit to {m}, restarted {s} pods one zone at a time and added an alert",
        "added the index concurrently, failed {s} over to the replica and drained the queue",
        "moved traffic to the secondary region and reduced retries on {s} to one",
    ]
    events = ["Alert {a} fires for {s}", "On-call acknowledges the page and opens an incident channel",
              "Error rate on {s} reaches {n}%", "Suspected cause: recent change to {s}",
              "Mitigation started: {f}", "Customer support reports failed requests", "Status page updated",
              "Metrics back to baseline; incident resolved"]
    out = []
    for i in range(n):
        s = rng.choice(services)
        fill = {"s": s, "n": rng.randint(2, 90), "m": rng.randint(100, 900), "v": f"v{rng.randint(1, 9)}.{rng.randint(0, 30)}",
                "a": f"{s.title().replace('-', '')}ErrorsHigh"}
        category, cause = rng.choice(causes)
        fix = rng.choice(fixes).format(**fill)
        hour, minute = rng.randint(0, 20), 0
        timeline = []
        for text in [events[0]] + rng.sample(events[1:-1], rng.randint(3, 6)) + [events[-1]]:
            minute += rng.randint(2, 25)
            timeline.append(f"2025-{1 + i % 12:02d}-{1 + i % 28:02d} {hour + minute // 60:02d}:{minute % 60:02d} "
                            + text.format(f=fix, **fill))
        out.append({
            "source": "synthetic", "source_id": f"inc-{i}", "id": i,
            "incident_title": f"{s} {rng.choice(['outage', 'degradation', 'elevated errors', 'latency spike'])}",
            "timeline": "\n".join(timeline),
            "services_affected": sorted({s, rng.choice(services)}),
            "root_cause": cause.format(**fill).capitalize() + ". " + rng.choice(
                ["No alert covered it.", "It had been latent for weeks before traffic exposed it.", ""]),
            "root_cause_category": category,
            "fix": "We " + fix + ".",
        })
    return out


def matmul_rate(seconds: float = 3.0) -> float:
    """Best fp32 matmul FLOP/s over a few square sizes, with torch's default threads."""
    import torch

    best = 0.0
    for n in (512, 1024, 2048):
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        reps, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds / 3:
            a @ b
            reps += 1
        best = max(best, 2 * n**3 * reps / (time.perf_counter() - start))
    return best


def useful_flops(cfg: dict, n_lora: int, seq_lens: list[int], scored: int) -> float:
    """FLOPs a LoRA step needs on real tokens: forward, backward to the activations (the
    base is frozen, so no weight gradients for it), weight gradients for LoRA only;
    attention scores over each sequence; the vocabulary projection only for scored tokens."""
    d, f, layers = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    kv = cfg["num_key_value_heads"] * cfg.get("head_dim", d // cfg["num_attention_heads"])
    n_linear = layers * (2 * d * d + 2 * d * kv + 3 * d * f)
    tokens = sum(seq_lens)
    forward = 2 * (n_linear + n_lora) * tokens + layers * sum(4 * L * L * d for L in seq_lens)
    head = 2 * d * cfg["vocab_size"] * scored
    return 2 * (forward + head) + 2 * n_lora * tokens


def build(examples: list[dict], batch_size: int, out: str, **recipe):
    """A ready trainer for one recipe, a step timer on it, and the padded size of a full
    epoch's batches (same sampler and collator as a real run)."""
    from transformers.trainer_callback import ProgressCallback

    from pipeline.learn.train import TrainConfig, prepare

    config = TrainConfig(output_dir=out, batch_size=batch_size, seed=0)
    run = prepare(config, examples, device="cpu", **recipe)
    run.trainer.args.save_strategy = "no"
    run.trainer.remove_callback(ProgressCallback)  # the table is the output
    epoch_padded = sum(b["input_ids"].numel() for b in run.trainer.get_train_dataloader())
    timer = _step_timer(run.log)
    run.trainer.add_callback(timer)
    return run, timer, epoch_padded


def grouped_order(dataset, batch_size: int, seed: int) -> list[int]:
    """A length-grouped order of the examples, as the trainer's sampler draws one, but from a
    generator of our own: recipes built on different models then see the same batches."""
    import torch
    from transformers.trainer_pt_utils import LengthGroupedSampler

    lengths = [len(ids) for ids in dataset["input_ids"]]
    generator = torch.Generator().manual_seed(seed)
    return list(LengthGroupedSampler(batch_size, lengths=lengths, generator=generator))


def _step_timer(log):
    """Per-step wall and process CPU time, with the step's token counts from the StepLog."""
    from transformers import TrainerCallback

    class StepTimer(TrainerCallback):
        def __init__(self):
            self.steps = []  # (wall s, cpu s, real tokens, padded tokens, examples, scored, lengths)
            self._warm = False  # the recipe's very first step (allocations, lazy init) is not timed

        def on_step_begin(self, args, state, control, **kw):
            self._start = (time.perf_counter(), time.process_time(), log.tokens, log.padded_tokens,
                           log.examples, log.scored_tokens)

        def on_step_end(self, args, state, control, **kw):
            now = (time.perf_counter(), time.process_time(), log.tokens, log.padded_tokens,
                   log.examples, log.scored_tokens)
            if self._warm:
                self.steps.append((*(b - a for a, b in zip(self._start, now)), log.last_lengths))
            self._warm = True

    return StepTimer()


def summarize(name, run, timer, epoch_padded, peak) -> dict:
    steps = timer.steps
    wall, cpu, tokens, padded, examples = (sum(s[i] for s in steps) for i in range(5))
    cfg = run.trainer.model.get_base_model().config.to_dict()
    n_lora = sum(p.numel() for n, p in run.trainer.model.named_parameters() if "lora_" in n)
    flops = sum(useful_flops(cfg, n_lora, s[6], s[5]) for s in steps)
    return {
        "name": name + (" (nf4)" if run.quantized else " (fp32)") if name == "chosen" else name,
        "steps": len(steps),
        "step_s": statistics.median(s[0] for s in steps),
        "tokens_per_s": tokens / wall,
        "examples_per_s": examples / wall,
        "epoch_min": epoch_padded * wall / padded / 60,
        "mfu": flops / wall / peak,
        "cpu_per_wall": cpu / wall,
        "padding": 1 - tokens / padded,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="rounds of interleaved measurement")
    parser.add_argument("--steps", type=int, default=2, help="timed steps per recipe and round")
    parser.add_argument("--batch_size", type=int, default=None, help="default: TrainConfig's")
    args = parser.parse_args()

    import os

    from pipeline.learn.train import CPU_NF4, TrainConfig, prefer_passive_omp_waits

    passive = prefer_passive_omp_waits()
    import datasets

    datasets.disable_progress_bars()

    batch = args.batch_size or TrainConfig.batch_size
    examples, origin = examples_600()
    recipes = {
        "chosen": {},
        # the other base precision, so that the choice of CPU_NF4 stays checked
        ("fp32" if CPU_NF4 else "nf4"): {"quantize": not CPU_NF4},
        "baseline": {"quantize": False, "baseline": True},
    }
    with tempfile.TemporaryDirectory() as out:
        built = {name: build(examples, batch, out, **r) for name, r in recipes.items()}
        peak = matmul_rate()
        load = []
        # Interleaved rounds, in alternating order: a change in the machine's load (it is
        # shared) hits every recipe alike.
        datasets_ = {name: run.trainer.train_dataset for name, (run, _, _) in built.items()}
        for r in range(args.rounds):
            for name, (run, _, _) in list(built.items())[:: 1 if r % 2 == 0 else -1]:
                # the baseline's steps are all alike (8 x 384) and slow: half as many
                timed = args.steps if name != "baseline" else max(1, args.steps // 2)
                run.trainer.args.max_steps = timed + (r == 0)  # + the warm-up step
                if name != "baseline":
                    # The same length-grouped batches for every recipe, new ones each round.
                    run.trainer.train_dataset = datasets_[name].select(grouped_order(datasets_[name], batch, r))
                    run.trainer.args.train_sampling_strategy = "sequential"
                run.trainer.train()
                load.append(os.getloadavg()[0])
        peak = max(peak, matmul_rate())
        rows = [summarize(name, *b, peak) for name, b in built.items()]

    base = rows[-1]
    print(f"{len(examples)} examples ({origin}), batch {batch}, {torch_threads()} threads "
          f"({'passive' if passive else 'spinning'} waits); fp32 matmul "
          f"{peak / 1e9:.0f} GFLOP/s; load average {min(load):.1f}-{max(load):.1f} during the run")
    print(f"{'recipe':<15}{'step s':>8}{'tok/s':>8}{'ex/s':>7}{'min/epoch':>11}{'MFU':>7}{'pad':>6}{'cpu/wall':>9}{'vs base':>9}")
    for r in rows:
        print(f"{r['name']:<15}{r['step_s']:>8.1f}{r['tokens_per_s']:>8.0f}{r['examples_per_s']:>7.2f}"
              f"{r['epoch_min']:>11.1f}{r['mfu']:>7.1%}{r['padding']:>6.0%}{r['cpu_per_wall']:>9.2f}"
              f"{r['tokens_per_s'] / base['tokens_per_s']:>8.2f}x")
    print("min/epoch: 600 examples, from seconds per padded token and the epoch's real batches. "
          "MFU: useful LoRA FLOPs (useful_flops) / measured fp32 matmul rate. vs base: real tokens/s "
          "against trl padded to 384 tokens, fp32 base, logits at every position, random batches.")


def torch_threads() -> int:
    import torch

    return torch.get_num_threads()


if __name__ == "__main__":
    main()
