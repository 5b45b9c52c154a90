"""Messages that are not @mentions: direct messages, and follow-ups in a thread the bot
answered in.

How the bot knows a message is meant for it, without a mention:
- in a direct message with the bot (channel_type "im"), every message is a question;
- in a channel, only a reply in a thread where the bot has already answered, that reads as
  a question (it ends with "?" or starts with a question or request word: "how…",
  "and what…", "show me…"), and that addresses nobody else (no @someone). Other replies
  ("thanks!", "I'll restart it") are conversation between people and left alone.
A message that mentions the bot is left to the app_mention listener; messages from bots
(this one included), edits, joins and other subtypes are never answered."""

from __future__ import annotations

import re

from bot.mentions import MENTION, Answering, question_text
from storage.answers import AnswerStore

QUESTION_START = re.compile(
    r"^(?:and|but|so|also|ok|okay)?[\s,]*"
    r"(?:what|whats|what's|how|why|when|where|which|who|whose|is|are|was|were|did|does|do|can|could|"
    r"should|would|will|any|anything|anyone|show|list|tell|give|explain|compare|find|summari[sz]e)\b",
    re.I,
)
# Subtypes that are still a person writing: a thread reply also sent to the channel.
ANSWERABLE_SUBTYPES = {None, "thread_broadcast"}


def reads_as_question(text: str) -> bool:
    question = question_text(text)
    return bool(question) and (question.endswith("?") or bool(QUESTION_START.match(question)))


class Conversations:
    def __init__(self, answering: Answering, answers: AnswerStore):
        self.answering = answering
        self.answers = answers

    def on_message(self, client, event: dict, bot_user_id: str | None) -> None:
        if not self.for_the_bot(event, bot_user_id):
            return
        self.answering.answer_message(client, event)

    def for_the_bot(self, event: dict, bot_user_id: str | None) -> bool:
        if event.get("subtype") not in ANSWERABLE_SUBTYPES or event.get("bot_id") or not event.get("user"):
            return False
        if event["user"] == bot_user_id:
            return False
        text = event.get("text") or ""
        if event.get("channel_type") == "im":
            return True
        mentioned = {m.group(0)[2:].split("|")[0].rstrip(">") for m in MENTION.finditer(text)}
        if bot_user_id in mentioned:
            return False  # app_mention brings it
        thread_ts = event.get("thread_ts")
        if not thread_ts or thread_ts == event.get("ts") or mentioned:
            return False
        return reads_as_question(text) and bool(self.answers.thread(event["channel"], thread_ts))
