"""👍 and 👎 on an answer.

👍 stores the vote and the (question, first incident) pair as a positive retrieval example.
👎 stores the vote and opens a small modal: what was wrong, which incident, and optionally
the right category or cause. Its submission is a human label on that incident (the same
store as `postmortem label`): applied at once, kept over the parser on every later sync,
and in the next retrain's data. A corrected category also re-decides the rule-made categories
of that incident's recurrences (pipeline.learn.categories)."""

from __future__ import annotations

import logging

from bot import blocks
from pipeline.ingest.taxonomy import Taxonomy
from pipeline.learn.categories import learn_from_corrections
from storage.answers import AnswerStore

log = logging.getLogger(__name__)


class Feedback:
    def __init__(self, answers: AnswerStore, taxonomy: Taxonomy):
        self.answers = answers
        self.taxonomy = taxonomy

    def up(self, ack, body: dict, action: dict, respond) -> None:
        ack()
        answer_id, user = int(action["value"]), body["user"]["id"]
        try:
            self.answers.vote(answer_id, user, "up")
            self.answers.add_retrieval_example(answer_id, user)
            text = blocks.THANKS_UP
        except KeyError:  # a button from before the database was reset
            text = blocks.ANSWER_GONE
        respond(text=text, response_type="ephemeral", replace_original=False)

    def down(self, ack, body: dict, action: dict, client, respond) -> None:
        ack()
        answer_id, user = int(action["value"]), body["user"]["id"]
        try:
            self.answers.vote(answer_id, user, "down")
            self.answers.drop_retrieval_example(answer_id, user)
        except KeyError:
            respond(text=blocks.ANSWER_GONE, response_type="ephemeral", replace_original=False)
            return
        view = blocks.correction_modal(self.answers.get(answer_id), answer_id, self.taxonomy.names)
        try:
            client.views_open(trigger_id=body["trigger_id"], view=view)
        except Exception as exc:  # the trigger expires after 3 s; the vote is stored anyway
            log.warning("could not open the correction form: %s", exc)
            respond(text=blocks.THANKS_DOWN, response_type="ephemeral", replace_original=False)

    def submitted(self, ack, body: dict, view: dict) -> None:
        values = blocks.correction_values(view)
        if not values["what"]:
            ack(response_action="errors", errors={"what": blocks.CORRECTION_NEEDS_WHAT})
            return
        ack()
        answer_id, user = int(view["private_metadata"]), body["user"]["id"]
        answer = self.answers.get(answer_id)
        sources = (answer or {}).get("sources") or []
        index = values["incident"] or 0
        source = sources[index] if index < len(sources) else {}
        if source.get("source_id") and not source.get("source"):
            # Answers stored before sources carried their source name: unambiguous ids only.
            found = self.answers.database.find_incidents(source["source_id"])
            source = {**source, "source": found[0]["source"]} if len(found) == 1 else {}
        if not source.get("source"):
            log.info("correction by %s on answer #%s names no stored incident: vote kept only", user, answer_id)
            return
        label_id = self.answers.correct(
            answer_id,
            user,
            source=source["source"],
            source_id=source["source_id"],
            what_was_wrong=values["what"],
            root_cause_category=values["category"],
            root_cause=values["cause"],
        )
        log.info("correction #%d by %s on %s", label_id, user, source["source_id"])
        if values["category"]:
            changed = learn_from_corrections(self.answers.database, self.taxonomy)
            log.info("correction #%d re-decided %d categories of recurrences", label_id, changed)
