"""`/postmortem <question>`: an answer only the asker sees, with a button that shares it.

The command is acknowledged at once with an ephemeral "looking…"; the answer is generated
on the answering worker (one question at a time, like mentions) and replaces that message
through the command's response_url (no streaming: an ephemeral message can only be
replaced through it, at most 5 times). "Share to channel" posts the same answer in the
channel through the click's response_url, which needs no channel membership, and removes
the private copy."""

from __future__ import annotations

import logging
import uuid

from bot import blocks
from bot.mentions import Answering, question_text
from storage.answers import AnswerStore

log = logging.getLogger(__name__)


class PrivateAnswers:
    def __init__(self, answering: Answering, answers: AnswerStore):
        self.answering = answering
        self.answers = answers

    def command(self, ack, command: dict, respond) -> None:
        question = question_text(command.get("text") or "")
        if not question:
            text, body = blocks.usage_message()
            ack(text=text, blocks=body)
            return
        ack(blocks.PRIVATE_LOOKING)
        self.answering.worker.submit(self._answer, command, question, respond)

    def _answer(self, command: dict, question: str, respond) -> None:
        try:
            answer, answer_id = self.answering.ask(command.get("user_id", ""), command.get("channel_id", ""), "", "", question)
            messages = blocks.answer_messages(answer, answer_id, private=True)
            for i, (text, body) in enumerate(messages):
                respond(text=text, blocks=body, response_type="ephemeral", replace_original=i == 0)
        except Exception:
            error_id = uuid.uuid4().hex[:8]
            log.exception("private answer failed (error id %s) for %r", error_id, question)
            text, body = blocks.error_message(error_id)
            respond(text=text, blocks=body, response_type="ephemeral", replace_original=True)

    def share(self, ack, body: dict, action: dict, respond) -> None:
        ack()
        answer_id = int(action["value"])
        stored = self.answers.get(answer_id)
        if stored is None:
            respond(text=blocks.ANSWER_GONE, response_type="ephemeral", replace_original=False)
            return
        answer = self.answering.enrich({
            "answer": stored["answer"],
            "root_cause_category": stored["root_cause_category"],
            "confidence": stored["confidence"],
            "sources": stored["sources"],
            "model": stored["model"],
        })
        for text, message in blocks.answer_messages(answer, answer_id, shared_by=body["user"]["id"]):
            respond(text=text, blocks=message, response_type="in_channel", replace_original=False)
        respond(delete_original=True)
