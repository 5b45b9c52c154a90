"""Answer latency: retrieval + generation, time to first token and to the full answer.

    python -m bench.answer [--questions 8] [--adapter PATH/adapter.gguf]

Ours: `pipeline.serve.answer.Answerer` on llama.cpp (the embedded SmolLM2 GGUF, plus a LoRA GGUF
with --adapter), timed from the question to the first streamed token and to the end.
Baseline, in the same run on the same prompts: plain transformers `generate` (fp32 on the
CPU, greedy, streamed with TextIteratorStreamer), after the same retrieval. The questions
are the on-call queries of samples/queries.jsonl over the sample corpus; model loading is
timed separately and not counted in the per-answer figures. The two models stop at
different lengths, so a second table times both on the same prompts at exactly
FIXED_TOKENS new tokens."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.retrieval import SAMPLES, sample_db

GOALS = {"ttft_p50": 1.5, "full_p50": 3.0, "speedup": 3.0}
# Answers end where each model decides, so the two systems' answers differ in length; the
# second table compares them at exactly this many tokens.
FIXED_TOKENS = 64


def timed(run) -> tuple[float, float, str]:
    """(seconds to the first streamed piece, seconds to the end, text) of run(on_token)."""
    stamps: list[float] = []
    text: list[str] = []

    def on_token(piece: str) -> None:
        stamps.append(time.perf_counter())
        text.append(piece)

    started = time.perf_counter()
    run(on_token)
    end = time.perf_counter()
    return (stamps[0] if stamps else end) - started, end - started, "".join(text)


def p(values, q):
    return float(np.percentile(values, q))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=8)
    parser.add_argument("--adapter", default=None, help="A llama.cpp LoRA GGUF to serve on top of the base model.")
    args = parser.parse_args()

    from pipeline.serve.answer import MAX_TOKENS, Answerer, build_prompt
    from pipeline.serve.backends import LlamaCppBackend, TransformersBackend
    from pipeline.evaluate.retrieval import read_queries

    questions = [q["query"] for q in read_queries(SAMPLES / "queries.jsonl")]
    # Spread over the three orgs rather than the first org's queries only.
    questions = questions[:: max(1, len(questions) // args.questions)][: args.questions]
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        db = sample_db(Path(tmp))

        started = time.perf_counter()
        ours = LlamaCppBackend(lora_path=args.adapter)
        llama_load = time.perf_counter() - started
        answerer = Answerer(db, backend=ours)
        answerer.ask("warm-up: is anything broken?")  # first-call costs: embedder, FTS, KV cache

        started = time.perf_counter()
        baseline = TransformersBackend(None, device="cpu")
        hf_load = time.perf_counter() - started

        rows = {"ours": [], "baseline": []}
        fixed = {"ours": [], "baseline": []}
        for question in questions:
            rows["ours"].append(timed(lambda on_token: answerer.ask(question, on_token=on_token)))

            def plain_generate(on_token):
                hits = answerer.retriever.search(question, k=3)
                baseline.complete(build_prompt(question, hits), max_tokens=MAX_TOKENS, on_token=on_token)

            rows["baseline"].append(timed(plain_generate))

            prompt = build_prompt(question, answerer.retriever.search(question, k=3))
            fixed["ours"].append(timed(lambda on_token: exactly_n_llama(ours, prompt, FIXED_TOKENS, on_token)))
            fixed["baseline"].append(timed(lambda on_token: exactly_n_transformers(baseline, prompt, FIXED_TOKENS, on_token)))

    print(f"{len(questions)} questions, answers up to {MAX_TOKENS} tokens, load average at start {load:.1f}")
    print(f"model load: llama.cpp {llama_load:.1f} s, transformers {hf_load:.1f} s (not counted below)\n")
    print(f"{'':<34}{'TTFT p50':>9}{'p95':>7}{'full p50':>10}{'p95':>7}{'tokens':>8}")
    names = {"ours": "llama.cpp Answerer (retrieval+gen)", "baseline": "transformers generate (same)"}
    stats = {}
    for key, values in rows.items():
        ttft, full, texts = zip(*values)
        tokens = np.mean([ours.count_tokens(t) for t in texts])  # one tokenizer for both
        stats[key] = {"ttft": p(ttft, 50), "full": p(full, 50)}
        print(f"{names[key]:<34}{p(ttft, 50):>9.2f}{p(ttft, 95):>7.2f}{p(full, 50):>10.2f}{p(full, 95):>7.2f}{tokens:>8.0f}")
    ttft_x = stats["baseline"]["ttft"] / stats["ours"]["ttft"]
    full_x = stats["baseline"]["full"] / stats["ours"]["full"]
    print(f"{'speed-up (baseline / ours), p50':<34}{ttft_x:>8.1f}x{'':>7}{full_x:>9.1f}x")
    print(f"\nSame prompts, exactly {FIXED_TOKENS} new tokens each (end of answer suppressed), generation only:")
    fixed_full = {}
    for key, values in fixed.items():
        ttft, full, _ = zip(*values)
        fixed_full[key] = p(full, 50)
        rate = FIXED_TOKENS / np.median([f - t for t, f in zip(ttft, full)])
        print(f"{names[key].split(' (')[0]:<34}{p(ttft, 50):>9.2f}{p(ttft, 95):>7.2f}{p(full, 50):>10.2f}{p(full, 95):>7.2f}{rate:>6.0f} tok/s")
    fixed_x = fixed_full["baseline"] / fixed_full["ours"]
    print(f"{'speed-up (baseline / ours), p50':<34}{'':>16}{fixed_x:>9.1f}x")
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(
        f"\ngoals: TTFT p50 <= {GOALS['ttft_p50']} s {verdict(stats['ours']['ttft'] <= GOALS['ttft_p50'])}; "
        f"full p50 <= {GOALS['full_p50']} s {verdict(stats['ours']['full'] <= GOALS['full_p50'])}; "
        f">= {GOALS['speedup']}x faster at equal length ({fixed_x:.1f}x) {verdict(fixed_x >= GOALS['speedup'])}; "
        f"as answered {full_x:.1f}x, the answers being of different lengths"
    )


def exactly_n_llama(backend, prompt: str, n: int, on_token) -> None:
    llm = backend.llm
    with backend._lock:
        llm.reset()  # no KV cache reuse: this prompt was just processed by the Answerer
        for chunk in llm.create_completion(prompt, max_tokens=n, temperature=0.0, stop=[], stream=True,
                                           logit_bias={llm.token_eos(): -1e9}):
            on_token(chunk["choices"][0]["text"])


def exactly_n_transformers(backend, prompt: str, n: int, on_token) -> None:
    import threading

    import torch
    from transformers import TextIteratorStreamer

    inputs = backend.tokenizer(prompt, return_tensors="pt")
    streamer = TextIteratorStreamer(backend.tokenizer, skip_prompt=True)
    kwargs = dict(**inputs, max_new_tokens=n, min_new_tokens=n, do_sample=False, streamer=streamer,
                  pad_token_id=backend.tokenizer.pad_token_id)

    def run():
        with torch.inference_mode():
            backend.model.generate(**kwargs)

    worker = threading.Thread(target=run)
    worker.start()
    for piece in streamer:
        if piece:
            on_token(piece)
    worker.join()


if __name__ == "__main__":
    main()
