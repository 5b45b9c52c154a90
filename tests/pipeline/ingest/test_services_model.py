"""The learned services check (pipeline.ingest.services_model): the phrases it reads, what it adds to
the parser's names and when it leaves them alone, and that training learns what a named service
looks like."""

import json

import pytest

from pipeline.ingest import services_model
from pipeline.ingest.isolate import read_document
from pipeline.ingest.parser import parse
from pipeline.ingest.services_model import ServicesModel, phrases

PASSING = """# Merchant dashboard would not load, 9 May

## Summary

From 14:05 to 15:20 the merchant dashboard showed a spinner for most sellers and the Upload Service stalled.

## Impact

The merchant dashboard failed for 80% of sellers; the Upload Service rejected new catalogue files.

## Root cause

A change to the storage bucket policy at 14:02 removed read access for the `transcode-worker` pods, so the
merchant dashboard could not fetch thumbnails and the Upload Service waited on them.

## Resolution

We restored the previous bucket policy at 15:10; the transcode-worker pods drained the queue by 15:20.
"""

# Service-like phrases (a service word at the end, two words) score 0.88; a one-word service
# word 0.62; everything else under 0.05.
TOY = ServicesModel({"service_head": 5.0, "words2": 0.5, "words1": -1.0}, -3.5, 10, {}, 0.25)
TOY_TEXT = "The billing api failed and the ledger queue backed up.\n\nThe billing api retried for an hour."


def test_a_service_named_only_in_passing_is_added_to_what_the_rules_found():
    rules = parse(PASSING, source_id="dashboard.md")
    assert rules.fields["services_affected"] == ["upload", "transcode-worker"]
    _, p = read_document(PASSING.encode(), "dashboard.md", {})
    assert p.fields["services_affected"] == ["upload", "transcode-worker", "merchant dashboard"]
    assert p.provenance["services_affected"].startswith("prose; services model: merchant dashboard (0.")


def test_a_list_the_writer_gave_stays_as_written():
    text = "---\nservices: [media-gateway]\n---\n" + PASSING
    _, p = read_document(text.encode(), "dashboard.md", {})
    assert p.fields["services_affected"] == ["media-gateway"]
    # As written, less a leading article: "The help desk line" is the help desk line.
    labelled = parse(
        "# Mail outage\n\n**Services affected:** The help desk line, university email\n\n"
        "**Root cause:** The mail relay's disk filled up.\n\n**Resolution:** We freed space and restarted the relay.\n"
    )
    assert labelled.fields["services_affected"] == ["help desk line", "university email"]
    assert p.provenance["services_affected"] == "front-matter: services"
    assert TOY.complete(TOY_TEXT, "", ["billing"], "label: Affected services") == (["billing"], "label: Affected services")


def test_the_rules_names_come_first_and_an_overlapping_phrase_is_not_added_twice():
    out, origin = TOY.complete(TOY_TEXT, "", ["billing-api"], "prose")
    assert out == ["billing-api", "ledger queue"]  # "billing api" and "api" are the billing-api
    assert origin == "prose; services model: ledger queue (0.88)"
    full = ["a-api", "b-api", "c-api", "d-api"]
    assert TOY.complete(TOY_TEXT, "", full, "prose") == (full, "prose")
    # A product names the whole offering, not what failed in it: the model adds beside it.
    assert TOY.complete(TOY_TEXT, "", ["acme pay"], "front-matter: product")[0] == ["acme pay", "ledger queue", "billing api"]


def test_with_no_name_from_the_rules_only_likely_phrases_are_added():
    out, origin = TOY.complete(TOY_TEXT, "", [], "")
    assert out == ["ledger queue", "billing api"]  # "api" is the billing api; nothing else is likely
    assert origin == "services model: ledger queue (0.88), billing api (0.88)"
    unlikely = ServicesModel({}, -3.0, 10, {}, 0.25)  # every phrase at 0.05
    assert unlikely.complete(TOY_TEXT, "", [], "") == ([], "")


def test_a_phrase_the_model_added_gives_way_to_a_longer_name_it_also_believes():
    # One-word service words score 0.92 here, two-word service names 0.88.
    short_first = ServicesModel({"service_head": 5.0, "words1": 1.0, "words2": 0.5}, -3.5, 10, {}, 0.25)
    out, origin = short_first.complete(TOY_TEXT, "", [], "")
    assert sorted(out) == ["billing api", "ledger queue"]
    assert "(0.88)" in origin and "(0.92)" not in origin
    # A name the rules found stays as written; only the model's own additions give way.
    assert short_first.complete(TOY_TEXT, "", ["queue"], "prose")[0] == ["queue", "billing api"]


def test_a_two_letter_phrase_is_never_added():
    # The clock's "am" and "pm", someone's initials: at two letters the model adds nothing.
    clock = ServicesModel({"words1": 9.0}, -3.0, 10, {}, 0.25)  # every one-word phrase at 0.998
    assert sorted(clock.complete("At 9 pm the queue stalled.", "", [], "")[0]) == ["queue", "stalled"]


def test_web_addresses_chat_handles_and_words_that_name_nothing_are_no_phrases():
    found = phrases("See https://status.example.com/incidents/42 and @Katharine poked Katharine. The service was unknown.", "")
    assert not any("http" in p or "/" in p or "katharine" == p or p in ("service", "unknown") for p in found)
    assert "poked katharine" in found  # only the handle's own phrase goes
    # A wiki export's breadcrumb link is a path, not a name; one slash can be a name ("tcp/ip").
    crumbs = phrases("Home > display/ops/post-incident+reviews > PIR 7. The tcp/ip stack stalled.", "")
    assert not any(p.count("/") > 1 or "+" in p for p in crumbs) and "tcp/ip stack" in crumbs
    # A chat export's speakers are people; a timeline's service names stay.
    chat = phrases("**[18:44] Jonas Lindqvist**\nThe packager failed.\n[18:50] aoife: restarting it\n[18:55] Packager api back", "")
    assert "jonas lindqvist" not in chat and "aoife" not in chat and "packager api" in chat
    # A name the write-up gives a person elsewhere (an email's sender, a Teams speaker, a role)
    # is theirs wherever it appears.
    mail = phrases(
        "From: Ines Okafor-Lindqvist <ines@example.org>\n\n[7:48 AM] Castellano, Ben\nCedarchart is slow.\n\n"
        "Exported by Ahmed Qureshi. Ines and Ben restarted the Cedarchart app servers.",
        "",
    )
    assert not {"ines", "okafor-lindqvist", "ben", "castellano", "ahmed qureshi"} & set(mail) and "cedarchart" in mail
    # A namespace in code (`std::chrono`) names no service; the word after it may.
    code = phrases("Time is now a `std::chrono` duration in the sip proxy.", "")
    assert "std" not in code and "sip proxy" in code


def test_phrases_stay_inside_punctuation_and_sentences_and_say_how_they_were_written():
    found = phrases("The Ledger-API, and `cart-db` failed. Users saw errors.\n\n## Impact\n\nUsers of cart-db waited.", "")
    assert "ledger-api" in found and "cart-db failed" in found
    assert not any(" and" in p or "ledger-api cart-db" in p or "failed users" in p for p in found)
    assert found["ledger-api"].capitalised == 1
    assert found["cart-db"].quoted and found["cart-db"].count == 2
    assert found["cart-db"].places == {"other": 1, "impact": 1}
    assert found["impact"].headings == 1


def test_only_the_opening_of_a_long_export_is_read():
    found = phrases("word " * (services_model.CHARS // 5) + "zebra gateway", "")
    assert "word" in found and "zebra gateway" not in found


def test_training_learns_what_a_named_service_looks_like():
    pytest.importorskip("sklearn")
    docs = [
        {
            "text": f"The {name} returned errors for an hour after a deploy.\n\nCustomers saw timeouts on the {name}.",
            "title": "Errors",
            "rules": [],
            "gold": [name],
        }
        for name in ("payments api", "ledger api", "search api", "quote api", "booking api", "media api")
    ]
    saved = services_model.train(docs, min_count=1)
    assert saved["documents"] == 6 and saved["threshold"] == services_model.THRESHOLD
    model = ServicesModel(saved["weights"], saved["intercept"], saved["documents"], saved["holding"], saved["threshold"])
    ranked = model.ranked("The invoice api returned errors after a deploy.\n\nCustomers saw timeouts.", "Errors", [])
    assert ranked[0][1] == "invoice api"
    assert json.loads(json.dumps(saved)) == saved  # saved as JSON, as shipped


def test_the_shipped_model_was_trained_on_the_fresh_writeups_and_samples():
    saved = json.loads(services_model.MODEL_PATH.read_text())
    assert saved["threshold"] == services_model.THRESHOLD
    assert saved["documents"] > 350
    assert services_model.load().weights["rules"] > 0  # a name the rules found stays likely


def test_a_phrase_the_writer_only_rules_out_is_not_added():
    text = TOY_TEXT + "\n\nThe payments api and the audit queue were not affected, because they read from a replica."
    out, _ = TOY.complete(text, "", [], "")
    assert "payments api" not in out and "audit queue" not in out
    # Ruled out in one sentence and told as failing in another: still what broke.
    out, _ = TOY.complete(text + "\n\nThe payments api timed out for ten minutes.", "", [], "")
    assert "payments api" in out


def test_chat_exports_that_put_the_time_or_the_name_first_have_speakers_not_services():
    chat = phrases(
        "Kenji Watanabe  [7:12 AM]\nlogin is failing on ios\n\nLucas Ferreira — 10:14 AM\nchain page slow\n"
        "09:31:12 <ravi.s> quotes look delayed\n(2025-01-02 08:14) nadia.f: statements wrong\n"
        "2024-03-05 10:02  Jonah Pratt: rejects on the order router\n"
        "14:05 Checkout API: errors rising\n", "")
    assert not {"kenji watanabe", "lucas ferreira", "ravi.s", "nadia.f", "jonah pratt"} & set(chat)
    assert "order router" in chat and "checkout api" in chat
    # A date is when, never what broke.
    assert "2024-03-05" not in phrases("On 2024-03-05 the order router failed.", "")


def test_a_tickets_engineers_and_a_letters_signatory_are_people_not_services():
    # A ticket's "by: j.kalnins", its work log's entries under the handle, a letter's name over
    # its role: people, wherever the name appears.
    ticket = phrases(
        "Closed: 2024-02-09 11:20 UTC   by: j.kalnins (Core Eng)\n\n[2024-02-09 00:58] j.kalnins\n"
        "Looking. The ospf adjacency to core1.dc3 is stuck.\n\nApologies to everyone affected.\n\n"
        "## Maud Ellery\n\nService Manager, CVREN Network Services\n\nMaud Ellery will follow up.", "")
    assert not {"j.kalnins", "maud ellery", "maud", "ellery"} & set(ticket) and "ospf adjacency" in ticket
    # "Fixed by Cairnline" names who did it, which may be a service; two capitalised words over a
    # line that is no role are no signature.
    assert not services_model.people("Intro.\n\nCheckout Service\nPlatform lead notes follow.\n\nThe wave was fixed by Cairnline on Tuesday.")


def test_a_tickets_key_and_a_timestamp_are_never_a_service():
    # A timeline export repeats its incident's key and ISO times on every row.
    text = "| INC-3391 | 2024-04-17T11:19:00Z | note | replica pg-acct-r2 is behind; CHG-20931 reverted |\n" * 3
    found = phrases(text, "Stale balances")
    assert not any(p.startswith(("inc-3391", "chg-20931", "2024-04-17t11")) for p in found)
    assert "pg-acct-r2" in found
