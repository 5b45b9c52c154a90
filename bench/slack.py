"""Slack answer latency through the real Bolt app and the fake Slack, with the embedded model.

    python -m bench.slack [--questions 10] [--burst 20]

Baseline (same run, same questions, interleaved with the Slack runs): `Answerer.ask` called
directly, no Slack. Then, through a Socket Mode connection to tests/fakes/slack.py (real
sockets, real Bolt, real slack_sdk), one question at a time: mention -> the evidence answer
in the thread (the first reply), -> the first checked sentence of the synthesis, -> the
final answer with sources; p50/p95 and the ratio to the direct baseline (what Slack,
streaming edits and storage add). After each answer, a follow-up in its thread without a
mention ("and how did we detect it?": answered with the thread's question as context) and a
question in a direct message (one of the last queries, so no prompt repeats one llama.cpp
has cached): message -> evidence and -> final answer. Finally a burst of N mentions at once
(default 8): every one must show its evidence (goal: all within 1.5 s) and be answered
exactly once, none lost, no apologies, and no edit refused for exceeding Slack's
per-channel rate."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"


FOLLOW_UP = "and how did we detect it?"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def build_corpus(folder: Path) -> Path:
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.serve.index import rebuild_index
    from pipeline.ingest.sync import ingest
    from storage import Database

    path = folder / "postmortem.db"
    db = Database(path)
    for org in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        ingest(db, LocalFolder(org, name=org.name))
    rebuild_index(db)
    db.close()
    return path


def final_at(message) -> float | None:
    """When the version with the feedback buttons (the final answer) landed."""
    for version in message.history:
        if any(b.get("type") == "actions" for b in version["blocks"]):
            return version["at"]
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=int, default=10, help="sequential questions (and baseline)")
    parser.add_argument("--burst", type=int, default=8, help="mentions sent at once")
    args = parser.parse_args()
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        os.environ.pop(var, None)  # slack_sdk would send loopback calls to a proxy

    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.app import build_bot, web_client
    from bot.settings import Settings
    from pipeline.serve.answer import Answerer
    from storage import Database
    from storage.answers import AnswerStore
    from tests.fakes.slack import FakeSlack

    queries = [json.loads(line)["query"] for line in (SAMPLES / "queries.jsonl").read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        db_path = build_corpus(Path(tmp))
        answerer = Answerer.from_db(db_path)
        n_incidents = Database(db_path).count_incidents()
        print(f"corpus: {n_incidents} incidents, model {answerer.backend.name}; setup {time.perf_counter() - t0:.0f} s")
        answerer.ask("warm-up: ledger replica lag")  # first-call costs out of the figures

        questions = queries[: args.questions]
        slack = FakeSlack().start()
        settings = Settings(bot_token=slack.bot_token, app_token=slack.app_token, api_url=slack.api_url,
                            db_path=db_path)
        bot = build_bot(settings, web_client(settings), answerer, Database(db_path))
        handler = SocketModeHandler(bot.app, settings.app_token)
        handler.connect()
        bot.start_background(with_scheduler=False)
        try:
            direct, acks, firsts, finals, streamed = [], [], [], [], []
            follow_acks, follow_finals, dm_acks, dm_finals = [], [], [], []
            # Baseline and Slack runs are interleaved so that load from other processes on the
            # machine hits both alike, offset by one question: llama.cpp reuses the KV cache of
            # an identical previous prompt, which would flatter whichever run came second.
            for i in range(len(questions) + 1):
                if i < len(questions):
                    t = time.perf_counter()
                    answerer.ask(questions[i])
                    direct.append(time.perf_counter() - t)
                if i == 0:
                    continue
                q, channel = questions[i - 1], f"C{i}"  # a channel each: each gets the full edit budget
                sent_at = time.monotonic()
                sent = slack.mention(q, channel=channel)
                reply = slack.wait_for(lambda: (slack.thread(channel, sent["ts"]) or [None])[0], 30)
                slack.wait_for(lambda: final_at(reply), 300)
                acks.append(reply.history[0]["at"] - sent_at)
                firsts.append(reply.history[1]["at"] - sent_at)  # first words, or the final answer
                finals.append(final_at(reply) - sent_at)
                streamed.append(len(reply.history) - 2)  # edits between placeholder and final

                sent_at = time.monotonic()
                slack.message(FOLLOW_UP, channel=channel, thread_ts=sent["ts"])
                follow = slack.wait_for(lambda: (slack.thread(channel, sent["ts"])[1:] or [None])[0], 30)
                slack.wait_for(lambda: final_at(follow), 300)
                follow_acks.append(follow.history[0]["at"] - sent_at)
                follow_finals.append(final_at(follow) - sent_at)

                dm_channel, sent_at = f"D{i}", time.monotonic()
                dm = slack.message(queries[-i], channel=dm_channel)
                dm_reply = slack.wait_for(lambda: (slack.thread(dm_channel, dm["ts"]) or [None])[0], 30)
                slack.wait_for(lambda: final_at(dm_reply), 300)
                dm_acks.append(dm_reply.history[0]["at"] - sent_at)
                dm_finals.append(final_at(dm_reply) - sent_at)

            burst_questions = [queries[i % len(queries)] for i in range(args.burst)]
            burst_started = time.monotonic()
            sent_burst = [(slack.mention(q, channel="CBURST"), time.monotonic()) for q in burst_questions]
            b_acks, b_finals, lost = [], [], 0
            deadline = burst_started + 60 * 15
            for sent, sent_at in sent_burst:
                try:
                    reply = slack.wait_for(lambda: (slack.thread("CBURST", sent["ts"]) or [None])[0],
                                           max(1, deadline - time.monotonic()))
                    slack.wait_for(lambda: final_at(reply), max(1, deadline - time.monotonic()))
                except TimeoutError:
                    lost += 1
                    continue
                b_acks.append(reply.history[0]["at"] - sent_at)
                b_finals.append(final_at(reply) - sent_at)
            burst_wall = time.monotonic() - burst_started
            threads = [slack.thread("CBURST", s["ts"]) for s, _ in sent_burst]
            duplicates = sum(len(t) > 1 for t in threads)
            apologies = sum("something went wrong" in str(m.blocks) for t in threads for m in t)
            stored = AnswerStore(Database(db_path)).count(channel="CBURST")
            updates = sorted(t for m in slack.messages.values() if m.channel == "CBURST" for t in m.updates)
            busiest = max((sum(1 for u in updates if t <= u < t + 60) for t in updates), default=0)
        finally:
            handler.close()
            bot.close()
            slack.stop()

    print()
    rows = [
        ("direct Answerer.ask (baseline)", direct),
        ("mention -> evidence answer in thread", acks),
        ("mention -> first checked sentence (or final)", firsts),
        ("mention -> final answer with sources", finals),
        ("follow-up in thread -> evidence", follow_acks),
        ("follow-up in thread -> final answer", follow_finals),
        ("DM -> evidence", dm_acks),
        ("DM -> final answer", dm_finals),
        (f"burst of {args.burst}: mention -> evidence", b_acks),
        (f"burst of {args.burst}: mention -> final answer", b_finals),
    ]
    print(f"{'measure (s)':<44}{'p50':>8}{'p95':>8}{'max':>8}")
    for name, values in rows:
        print(f"{name:<44}{pct(values, 0.5):>8.2f}{pct(values, 0.95):>8.2f}{max(values, default=float('nan')):>8.2f}")
    verdict = lambda ok: "met" if ok else "NOT met"  # noqa: E731
    print(f"goals: evidence p50 <= 0.5 s {verdict(pct(acks, 0.5) <= 0.5)}; all {args.burst} of a burst showing "
          f"evidence <= 1.5 s {verdict(bool(b_acks) and len(b_acks) == args.burst and max(b_acks) <= 1.5)}")
    print()
    print(f"through Slack / direct, p50: {statistics.median(finals) / statistics.median(direct):.2f}x "
          f"(p95: {pct(finals, 0.95) / pct(direct, 0.95):.2f}x); streamed edits per answer: "
          f"median {statistics.median(streamed):.0f}")
    print(f"burst: {args.burst} sent, {len(b_finals)} answered, {lost} lost, {duplicates} answered twice, "
          f"{apologies} apologies, {stored} stored; all answered in {burst_wall:.0f} s "
          f"({len(b_finals) / burst_wall * 60:.1f} answers/min)")
    print(f"burst chat.update calls: {len(updates)}, busiest minute {busiest} (Slack allows ~50/min/channel); "
          f"refused by the fake: {len(slack.errors)}")


if __name__ == "__main__":
    main()
