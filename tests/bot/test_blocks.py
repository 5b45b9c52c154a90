"""Long text is split to fit Slack's limits; the chat.update budget keeps room for finals."""

import time

from bot import blocks
from bot.streaming import UpdateBudget
from tests.fakes.slack import blocks_problem


def test_long_answer_is_split_within_block_kit_limits():
    paragraph = "The primary ran out of disk because WAL archiving stalled. " * 40  # ~2400 chars
    answer = {
        "answer": "\n\n".join([paragraph] * 70) + " <script> & done",  # ~170k characters
        "root_cause_category": "capacity",
        "confidence": 0.42,
        "sources": [{"incident_title": "T" * 400, "date": "2024-01-02", "url": "https://x.example/1",
                     "score": 0.9, "root_cause": "r" * 5000, "fix": "f" * 5000}] * 3,
    }
    messages = blocks.answer_messages(answer, answer_id=7)
    assert len(messages) >= 2
    for _, body in messages:
        assert blocks_problem(body, max_blocks=blocks.MESSAGE_BLOCKS_MAX) is None
    everything = "".join(b["text"]["text"] for _, body in messages for b in body if b["type"] == "section")
    assert everything.count("WAL archiving stalled") == 70 * 40  # nothing lost in the split
    assert "&lt;script&gt; &amp; done" in everything  # mrkdwn control characters escaped
    last = messages[-1][1]
    assert last[-1]["type"] == "actions" and [e["value"] for e in last[-1]["elements"]] == ["7", "7"]


def test_split_prefers_paragraphs_then_words():
    text = "a" * 2000 + "\n\n" + "b " * 1000
    pieces = blocks.split_text(text, 3000)
    assert pieces[0] == "a" * 2000 and all(len(p) <= 3000 for p in pieces)
    assert blocks.split_text("x" * 7000, 3000) == ["x" * 3000, "x" * 3000, "x" * 1000]


def test_update_budget_keeps_a_reserve_for_final_edits():
    budget = UpdateBudget(per_minute=5, reserve=2)
    assert [budget.try_take("C1") for _ in range(4)] == [True, True, True, False]
    assert budget.try_take("C2")  # per channel
    started = time.monotonic()
    budget.take("C1")
    budget.take("C1")  # finals use the reserve without waiting
    assert time.monotonic() - started < 0.5
