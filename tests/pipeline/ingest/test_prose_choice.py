"""Cause sentences chosen from prose, the trigger deciding the category, and services named in
the text. Every document here is written for the test."""

import pytest

from pipeline.ingest.parser import most_specific, parse, sentences
from pipeline.ingest.taxonomy import Taxonomy, trigger_spans

CONTRIBUTING_ONLY = """# Checkout outage

## Summary

On Monday the checkout pages failed for forty minutes. A Terraform change to the shared VPC
caused the load balancer to drop every target in the payments pool.

## Contributing factors

- The staging cluster has no load balancer of its own, so the plan was never exercised.
- Alerting on healthy targets was missing.

## Resolution

We re-attached the targets by hand and then reverted the Terraform change.
"""

SEMANTIC_LINES = """# 2031-04-02, launches stuck

## Summary

The image cache sweeper deleted layers that running builds still referenced,
resulting in builds failing half way
and the launch queue growing for three hours.
We restarted the builders once the sweeper was paused.

## Timeline

### 09:10

Alerts fire because the queue is due to exceed its limit.

### 12:30

The sweeper is paused and the builders are restarted, after which launches recover.
"""


def test_contributing_factors_are_led_by_the_summary_cause():
    fields = parse(CONTRIBUTING_ONLY, source_id="checkout.md").fields
    cause = fields["root_cause"]
    assert cause.startswith("A Terraform change to the shared VPC caused the load balancer")
    assert "Alerting on healthy targets was missing" in cause  # the factors are kept after it


def test_lines_that_go_on_in_lower_case_are_one_sentence():
    text = "The sweeper deleted layers,\nresulting in failed builds.\n- restart the builders\n- Pause the sweeper"
    assert sentences(text) == [
        "The sweeper deleted layers, resulting in failed builds.",
        "restart the builders",
        "Pause the sweeper",
    ]


def test_summary_cause_leads_before_a_timeline_due_to():
    fields = parse(SEMANTIC_LINES, source_id="launches.md").fields
    assert fields["root_cause"].startswith(
        "The image cache sweeper deleted layers that running builds still referenced, resulting in builds failing"
    )


@pytest.mark.parametrize(
    "title,cause,expected",
    [
        # The network words are the symptom; the trigger clause names a configuration change.
        ("Checkout 503s at the load balancer", "The load balancer dropped its targets after a Terraform change to the VPC.",
         "configuration"),
        ("Ingress errors for all tenants", "TLS handshakes at the ingress failed because the wildcard certificate had expired.",
         "security"),
        # DNS and the load balancer are where it showed; the hand edit is what changed.
        ("Internal DNS lookups failing behind the load balancer",
         "The resolver on every node stopped answering after an engineer edited its forwarding settings by hand.",
         "configuration"),
        ("Packet loss between zones", "The link between the two zones dropped packets for all cross-zone traffic.", "network"),
        ("Uploads stalled", "The storage volumes hit their provisioned IOPS ceiling, so every write waited in line.", "capacity"),
        ("Jobs scheduled onto the service cluster",
         "The refactored scheduler client ignored the cluster alias from its secret and fell back to the default.",
         "deployment"),
        ("Search slow for an hour", "A reindex job with no memory limit caused the search nodes to run out of memory.",
         "capacity"),
        # A setting's value changed is configuration, whatever it made the database do.
        ("Sessions API down", "A routine release cut the session database connection timeout from 2 s to 200 ms while the "
         "primary database was busy with a backfill, so every pod failed its database connection and crash-looped.",
         "configuration"),
        # Machines that failed of themselves.
        ("Hub would not start", "Several worker nodes went bad (NodeLost); the hub pod on one of them kept its volume "
         "claim, so new hub pods could not start.", "hardware"),
        # A version update a pipeline applied still shipped a new version.
        ("GitOps agent unintended version update", "A scheduled cluster pipeline applied an unintended version update to "
         "the GitOps agent (its version was not pinned); the agent was torn down and re-applied, which deleted the log "
         "shipper.", "deployment"),
        # A limit named in more than one word.
        ("Launches failing", "Two workshops of 100 students each started at once; the rush outran the warm pool and "
         "reached the GKE node limit, so new sessions queued and timed out.", "capacity"),
    ],
)
def test_trigger_clause_decides_the_category(title, cause, expected):
    assert Taxonomy.default().classify_incident(title, cause) == expected


def test_why_it_had_not_happened_before_is_not_the_trigger():
    taxonomy = Taxonomy.default()
    cause = ("Our session database started stalling, which caused a short blip. It never showed up before because "
             "we had enough capacity to absorb 5x the peak load, so the retries piled onto the stalled database.")
    assert taxonomy.classify_incident("Sessions down", cause) == "database"
    spans = [cause[a:b] for a, b in trigger_spans(cause)]
    assert not any("enough capacity" in span for span in spans)


def test_trigger_spans():
    text = "Pods were evicted due to a quota change, so launches failed. A bad rollout caused the 502s."
    spans = [text[a:b].strip() for a, b in trigger_spans(text)]
    assert "a quota change" in spans
    assert "A bad rollout" in spans
    # ", which caused": the subject is the clause before the comma.
    which = "Our queue broker started stalling, which caused a short blip."
    assert "Our queue broker started stalling" in [which[a:b].strip() for a, b in trigger_spans(which)]


def test_scores_weigh_each_match_by_the_spans_it_lies_in():
    """Span membership by bisection gives the scores a test against every span gives."""
    import random

    from pipeline.ingest.taxonomy import TRIGGER_BOOST, ruled_out_spans

    def by_every_span(taxonomy, text):
        n, spans, ruled_out, out = max(1, len(text)), trigger_spans(text), ruled_out_spans(text), {}
        for cat, pats in taxonomy._compiled.items():
            out[cat] = 0.0
            for pattern, weight in pats:
                for m in pattern.finditer(text):
                    if any(a <= m.start() < b for a, b in ruled_out):
                        continue
                    w = weight * (2.0 - m.start() / n)
                    out[cat] += w * (TRIGGER_BOOST if any(a <= m.start() < b for a, b in spans) else 1)
        return out

    pieces = ["the deploy caused", "due to a DNS change", ", which caused", "because the disk filled",
              "It was ruled out that the database failed.", "a bad config push", ".", " and ", "triggered by",
              "the load balancer", "a memory leak"]
    rng = random.Random(7)
    taxonomy = Taxonomy.default()
    for _ in range(200):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        assert taxonomy.scores(text) == pytest.approx(by_every_span(taxonomy, text)), text


def test_services_named_in_the_text():
    doc = """# Invoice Export service down on two worker nodes

## Summary

The invoice export service stopped because ip-10-1-2-3.eu-west-1.compute.internal ran out of disk.
Kubernetes rescheduled it, and the kube-state-metrics exporter kept alerting.

## Root cause

A Terraform change shrank the root disk of the worker nodes managed by Helm.

## Resolution

We restored the disk size and restarted the exporter.
"""
    services = parse(doc, source_id="export.md").fields["services_affected"]
    assert "invoice export" in services
    assert "worker nodes" in services
    assert "kube-state-metrics" in services
    assert not {"kubernetes", "terraform", "helm"} & set(services)
    assert not any("compute.internal" in s or s.startswith("ip-") for s in services)


def test_what_kind_of_service_is_no_services_name():
    from pipeline.ingest.parser import services_in

    found = services_in("DoseClock, the in-house service that schedules doses, and the third-party Payments service "
                        "failed; a customer-facing service stayed up.")
    assert found == ["payments"]


def test_a_hyphenated_english_phrase_is_no_service():
    doc = """# Online banking down during an attack

## Summary

A denial-of-service attack hit the edge; service-to-service calls inside stayed up, but online
banking and the payments-api were unreachable for an hour.

## Root cause

A volumetric denial-of-service attack saturated the edge links.

## Resolution

Traffic was moved to the scrubbing provider and the attack subsided.
"""
    services = parse(doc, source_id="ddos.md").fields["services_affected"]
    assert "payments-api" in services
    assert not {"denial-of-service", "service-to-service"} & set(services)


def test_most_specific_service_names():
    assert most_specific(["cloudwatch", "fluentd", "cloudwatch logs"]) == ["fluentd", "cloudwatch logs"]
    assert most_specific(["master node", "etcd", "master nodes"]) == ["master nodes", "etcd"]
    # Unknown longer names are identifiers of their own, not a more precise spelling.
    assert most_specific(["payments-api", "payments-api-mtls"]) == ["payments-api", "payments-api-mtls"]


def test_a_name_spelt_with_hyphens_and_with_spaces_is_listed_once():
    doc = """# Checkout errors after a gateway change

## Summary

The api-gateway dropped requests to checkout. A route change on the API gateway sent them to
a retired upstream.

## Resolution

We reverted the route change.
"""
    services = parse(doc, source_id="gateway.md").fields["services_affected"]
    assert [s for s in services if s in ("api-gateway", "api gateway")] == ["api gateway"]


def test_how_it_was_noticed_is_not_the_cause():
    doc = """# Upload queue stalled

## Summary

Uploads stalled for an hour on Friday evening. This was noticed because Priya happened to open
the queue dashboard. One worker host had run out of memory, which broke the upload consumer.
We restarted the consumer on a fresh host and uploads resumed.
"""
    fields = parse(doc, source_id="uploads.md").fields
    assert fields["root_cause"].startswith("One worker host had run out of memory, which broke the upload consumer.")
    assert "noticed" not in fields["root_cause"]


def test_an_effect_sentence_brings_its_cause_along():
    doc = """# Report builder outage

## Summary

For two days the report builders were flaky. On Tuesday morning the shared scratch volume was
detached from the build host. This caused every report job to fail until the volume came back.
We re-attached the volume and re-queued the failed jobs.
"""
    cause = parse(doc, source_id="reports.md").fields["root_cause"]
    assert cause.startswith("On Tuesday morning the shared scratch volume was detached from the build host. This caused")
    # A fragment that goes on from the sentence before is read with it.
    fragment = doc.replace("This caused every report job", "Potentially causing every report job")
    cause = parse(fragment, source_id="reports.md").fields["root_cause"]
    assert cause.startswith("On Tuesday morning the shared scratch volume was detached from the build host. Potentially causing")


STORY_ONLY = """# Search results empty for an afternoon

## Context

- The indexer was moved to the new queue cluster on Tuesday morning.
- Its consumer group name was left at the old value, so it read from an empty topic.
- Searches returned nothing new for four hours.

## Resolution

We renamed the consumer group and re-indexed the backlog.
"""

STORY_HEDGED = STORY_ONLY.replace(
    "- Its consumer group", "- We suspect the consumer group"
)

STORY_AS_TIMELINE = """# Search results empty for an afternoon

## Background

2031-05-06 10:02 UTC: indexer moved to the new queue cluster.
2031-05-06 14:10 UTC: searches reported stale.

## Resolution

We renamed the consumer group and re-indexed the backlog.
"""


def test_a_story_without_cause_wording_opens_on_its_cause():
    parsed = parse(STORY_ONLY)
    assert parsed.reason is None
    assert parsed.fields["root_cause"].startswith("The indexer was moved to the new queue cluster")
    assert "consumer group name was left" in parsed.fields["root_cause"]
    assert parsed.provenance["root_cause"] == "story: context"  # the write-up states no cause as such


STORY_WITH_EMPTY_CAUSE = STORY_ONLY.replace("## Resolution", "## Root cause\n\n## Resolution")


@pytest.mark.parametrize(
    "text", [STORY_HEDGED, STORY_AS_TIMELINE, STORY_WITH_EMPTY_CAUSE], ids=["hedged", "timestamped", "empty-cause-slot"]
)
def test_a_suspicion_or_a_bare_timeline_is_no_story_cause(text):
    assert parse(text).reason == "no-root-cause"


def test_a_bug_a_release_shipped_is_a_deployment():
    taxonomy = Taxonomy.default()
    shipped = "A bug in the session code logged every user out after the release."
    latent = "A race condition in the session cache, present for years, logged users out under load."
    assert taxonomy.classify_incident("Users logged out", shipped) == "deployment"
    assert taxonomy.classify_incident("Users logged out", latent) == "software-bug"


def test_a_change_that_set_a_latent_bug_off_is_the_trigger():
    taxonomy = Taxonomy.default()
    # The bug is named twice and first, but the writer says what set it off.
    cause = ("Because of how the bug works it only fired once the gateway pods restarted. A route file with an "
             "empty host field, applied to the cluster on Monday, triggered a known bug in the gateway (fixed in 3.1).")
    assert taxonomy.classify_incident("All routes returning 404", cause) == "configuration"
    latent = "A known bug in the gateway (fixed in 3.1) dropped every route once its pods restarted."
    assert taxonomy.classify_incident("All routes returning 404", latent) == "software-bug"


def test_deploying_the_fix_does_not_make_the_bug_shipped_by_a_release():
    taxonomy = Taxonomy.default()
    cause = "The expiry code rejected tokens created on 29 February, a date its year arithmetic got wrong."
    assert taxonomy.classify_incident("Login failures", cause, "The patched service was deployed to all regions by 05:55.") == "software-bug"
    # Undoing a change says the change shipped the bug.
    assert taxonomy.classify_incident("Login failures", cause, "The release with the new expiry code was reverted.") == "deployment"


def test_a_fan_out_is_software_not_a_cooling_fan():
    taxonomy = Taxonomy.default()
    assert taxonomy.scores("The fan-out consumer marks each purged object invalid.")["hardware"] == 0
    assert taxonomy.scores("A failed fan in the storage server tripped its thermal shutdown.")["hardware"] > 0


def test_a_summary_opening_on_a_change_leads_the_cause():
    doc = """# Exports failing

## Summary

On Thursday we upgraded the export workers to the new PDF library. Every export with an embedded
font failed because the library no longer ships the fallback fonts.
We rolled the workers back to the previous image.
"""
    cause = parse(doc, source_id="exports.md").fields["root_cause"]
    assert cause.startswith("On Thursday we upgraded the export workers")
    assert "no longer ships the fallback fonts" in cause


def test_each_cause_sentence_is_kept_once():
    doc = """# Queue overflow

## Summary

The nightly import ran twice because a cron entry was duplicated. This caused the ingest queue to
overflow for an hour. We removed the duplicate entry and drained the queue.
"""
    cause = parse(doc, source_id="queue.md").fields["root_cause"]
    assert cause.count("a cron entry was duplicated") == 1
    assert "This caused the ingest queue to overflow" in cause


def test_a_bug_inside_a_providers_managed_service_is_a_dependency():
    taxonomy = Taxonomy.default()
    cause = "Support confirmed a bug in the managed GKE node auto-repair that kept recreating healthy nodes."
    assert taxonomy.classify_incident("Nodes recreated", cause) == "dependency"
    assert taxonomy.classify_incident("Nodes recreated", "A bug in our node drain script recreated healthy nodes.") == "software-bug"


def test_named_clusters_and_spellings_of_known_components():
    doc = """# Kube state metrics gone on the Ridgeline EKS cluster

## Summary

After the node rollover the ingress-controller pods and kube state metrics on the Ridgeline EKS
cluster stopped; the Kubernetes cluster as a whole stayed up. A wrong image tag caused it.

## Resolution

We pinned the image tag and redeployed.
"""
    services = parse(doc, source_id="ridgeline.md").fields["services_affected"]
    assert "ridgeline eks cluster" in services
    assert "kube-state-metrics" in services
    assert "ingress controller" in services
    assert not {"kubernetes cluster", "the kubernetes cluster", "eks cluster"} & set(services)
    assert len(services) == len(set(services))


def test_the_change_told_after_the_impact_leads_the_cause():
    doc = """# Exports failing

## Summary

Exports failed for two hours on Thursday. That morning we upgraded the export workers to the new PDF
library. Every export with an embedded font failed because the library no longer ships the fallback fonts.
We rolled the workers back to the previous image.
"""
    cause = parse(doc, source_id="exports.md").fields["root_cause"]
    assert cause.startswith("That morning we upgraded the export workers")
    assert "Exports failed for two hours" not in cause


def test_a_day_number_does_not_end_a_sentence():
    assert sentences("On 5. January we deployed the driver. Then logging stopped.") == [
        "On 5. January we deployed the driver.",
        "Then logging stopped.",
    ]
    assert len(sentences("We upgraded to 1.14. Then logging stopped.")) == 2


IMPACT_FIRST = """# Search 500s after the 2.3 release

## Summary

Between 09:10 and 09:55 UTC about 6% of search requests failed with HTTP 500. Shoppers saw an
error page instead of results. The errors started with the rollout of search-api 2.3. That release
replaced the query builder, and the new one sends an empty filter list that the index rejects.
We rolled search-api back to 2.2 and shipped 2.3.1 with the fix the next morning.
"""


def test_a_summary_that_opens_on_impact_gives_the_trigger_and_how_it_broke_things():
    p = parse(IMPACT_FIRST, source_id="x.md")
    cause = p.fields["root_cause"]
    assert cause.startswith("The errors started with the rollout of search-api 2.3.")
    assert "sends an empty filter list" in cause  # the mechanism, from the next sentence
    assert "6% of search requests" not in cause and "error page" not in cause
    assert "rolled search-api back" not in cause  # the fix stops the explanation


def test_a_fix_sentence_at_the_top_of_a_summary_is_not_the_trigger():
    doc = (
        "# Admission webhook down\n\n## Summary\nThis was resolved by upgrading the policy engine to 1.9.\n"
        "Creating services failed due to an unresponsive admission webhook.\n\n"
        "## Timeline\n- 10:00 webhook stops answering\n- 10:40 policy engine upgraded\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"].startswith("Creating services failed due to an unresponsive admission webhook")
    assert "resolved by" not in p.fields["root_cause"]


def test_why_it_went_unnoticed_is_not_the_cause():
    doc = (
        "# Launches hang\n\n## Summary\nLaunches hung after a config change left the proxy without routes. "
        "We restored the routes.\n\n## What went wrong\n- The hang lasted an hour before we noticed it. "
        "This is partly because the site returned no errors, only slow pages.\n"
    )
    p = parse(doc, source_id="x.md")
    assert "returned no errors" not in p.fields["root_cause"]
    assert "config change" in p.fields["root_cause"]


def test_a_write_up_that_says_nothing_was_done_has_no_fix():
    doc = (
        "# Certificate warning e-mails\n\n## Summary\nWe got expiry warnings for a sub-domain because the "
        "certificate's details changed. The certificate renewed on its own a few days later, so this was a "
        "no-op from our side.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.reason == "no-fix"
    assert "nothing was done" in p.detail


@pytest.mark.parametrize("doc, fix", [
    ("# Search 500s\n\n## Summary\nSearch failed for half an hour after the 2.3 release. "
     "We restored service by rolling search-api back to 2.2.\n\n"
     "## Timeline\n| Time | Event |\n| --- | --- |\n| 10:00 | 2.3 rolled out |\n"
     "| 10:20 | decision to roll back; the deploy tool reverts search-api |\n| 10:31 | last 2.3 pod terminated |\n",
     "We restored service by rolling search-api back to 2.2."),
    # Timeline rows that restate the summary's steps, strong cues and all, tell it no better.
    ("# Tokenizer handshake failures\n\n## Summary\nCard payments failed for an hour when the client certificate expired. "
     "We restored service by issuing a new certificate and restarting the payments-api pods.\n\n"
     "## Timeline\n| Time | Event |\n| --- | --- |\n| 2024-02-01 00:00 | certificate expires |\n"
     "| 2024-02-01 01:10 | rolling restart of payments-api, the canary release reverted to be safe |\n"
     "| 2024-02-01 01:15 | user reporting back that the fix works |\n",
     "We restored service by issuing a new certificate and restarting the payments-api pods."),
])
def test_a_fix_the_summary_states_outright_is_not_padded_with_timeline_rows(doc, fix):
    assert parse(doc, source_id="x.md").fields["fix"] == fix


def test_an_outage_told_from_someone_elses_incident_report_is_a_dependency():
    taxonomy = Taxonomy.default()
    cause = ("The outage was at Parcelnet. Their incident report states that a disk array behind their label database "
             "degraded during maintenance and their database failover stalled.")
    assert taxonomy.classify_incident("Shipping labels failing", cause) == "dependency"
    ours = "A disk array behind our label database degraded during maintenance and the database failover stalled."
    assert taxonomy.classify_incident("Shipping labels failing", ours) != "dependency"


def test_a_signing_key_that_expired_is_security_though_releases_are_signed_with_it():
    cause = ("Our package index is signed with a subkey of the project release key, and renewing it was on the release "
             "checklist kept by a maintainer who has since left. On Monday the subkey expired and clients rejected the index.")
    assert Taxonomy.default().classify_incident("Package index signature rejected", cause) == "security"
    assert Taxonomy.default().classify_incident("Clients broke", "The release of client 2.3 changed the index format.") == "deployment"


def test_a_date_that_exists_one_year_in_four_reads_as_a_date_bug():
    taxonomy = Taxonomy.default()
    for cause in ("The settlement job computed a due date of 29 February 2025 and skipped every payment after it.",
                  "Payments scheduled for February 29th were skipped."):
        assert taxonomy.scores(cause)["software-bug"] > 0


def test_demand_past_what_was_planned_is_capacity_though_a_database_felt_it():
    taxonomy = Taxonomy.default()
    for cause in ("Connection rates to the SQL gateway rose far above forecast on the first business day of the month.",
                  "Launch load went well beyond what the matchmaking tier was sized for, and its Redis pool capped it."):
        assert taxonomy.classify_incident("Connection failures in the east region", cause) == "capacity"


LINKED_OUT = """# Incident on 2026-02-03 - Registry token leaked in a build log

- **Key events**
  - First detected: 2026-02-03 09:40
  - Resolved: 2026-02-03 15:05

- **Time to repair**: 4h 10m

- **Time to resolve**: 5h 25m

- **Detected by**: A scanner flagged the token in a public build log.

- **Context/Resolution/Follow-up**:

Refer to the security team's private tracker for the write-up of this incident.
"""


def test_key_event_times_and_a_bare_label_are_no_cause_and_no_fix():
    """The story is in another repository: durations and a label with nothing after it say
    nothing about why or how, so nothing is stored as if they did."""
    parsed = parse(LINKED_OUT)
    assert parsed.reason in ("no-root-cause", "no-fix", "no-root-cause-and-fix"), parsed.fields


STORY_IN_THE_RESOLUTION = """# Incident on 2026-03-11 - Office VPN routes withdrawn

- **Time to repair**: 25m

- **Impact**: Staff working from home could not reach internal tools.

- **Resolution**:
  - The network automation job had been switched off for two weeks while the address plan was reworked. When it was switched back on, an old queued change ran first and withdrew the VPN routes from the edge routers.
  - The routes were put back by applying the current plan by hand, restoring access within minutes.
"""


def test_a_resolution_that_tells_the_story_first_gives_the_cause_and_keeps_the_fix():
    parsed = parse(STORY_IN_THE_RESOLUTION)
    fields = parsed.fields
    assert fields["root_cause"].startswith("The network automation job had been switched off")
    assert "withdrew the VPN routes" in fields["root_cause"]
    assert fields["fix"] == "The routes were put back by applying the current plan by hand, restoring access within minutes."
    assert parsed.provenance["fix"] == "label: Resolution"
    assert parsed.provenance["root_cause"] == "story: label: Resolution"


FIVE_WHYS_UNDER_A_QUESTION = """# Post-mortem: Photo uploads failing (4 June)

## What happened?

Most photo uploads from the mobile app failed for half an hour in the evening.

## Why did it happen? (5 whys)

1. **Why did uploads fail?** media-api got HTTP 502 responses from Pixelvault, the image hosting provider we resize through.
2. **Why was Pixelvault failing?** Pixelvault had a regional outage of its resize cluster.
3. **Why did that stop uploads?** media-api has no second provider configured.

## How did we fix it?

We switched `media.resizer` to the in-house resizer at 20:14, and uploads went through again.
"""


def test_a_five_whys_qualifier_keeps_a_cause_heading_a_cause_heading():
    parsed = parse(FIVE_WHYS_UNDER_A_QUESTION)
    assert parsed.provenance["root_cause"] == "heading: Why did it happen? (5 whys)"
    assert "Pixelvault had a regional outage" in parsed.fields["root_cause"]
    fields = parsed.fields
    assert Taxonomy.default().classify_incident(fields["incident_title"], fields["root_cause"], fields["fix"]) == "dependency"


FLAG_TURNED_BACK = """# Search returned nothing for frozen food

## In short

For forty minutes every search for frozen items came back empty. The cause was a flag change:
a feature flag meant to move to 5% of traffic was set to 100% by mistake, and the new ranker it
enables drops items it has no embeddings for. Turning the flag back to 0% brought results back straight away.

## What are we changing?

- A second approver for flag changes above 25%.
"""


def test_turning_a_flag_back_to_zero_is_the_fix():
    parsed = parse(FLAG_TURNED_BACK)
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["fix"] == "Turning the flag back to 0% brought results back straight away."


BLOG_WITH_THE_CAUSE_LAST = """# Two slow evenings in the lobby

If you tried to join a lobby on Monday or Tuesday evening, you waited. You deserve an explanation, and this one is longer than usual because we took a while to find the problem ourselves.

At first it looked like too many players for too few servers, so we added servers. It did not help for long.

And here, finally, is the cause. When a player leaves a lobby while it is being filled, lobby-svc keeps the player on a pending list that is only cleared when the lobby starts. Those entries were never removed, and memory filled up over the evening.

On Wednesday we fixed it in lobby-svc 2.4.1, which clears the list when a player leaves.

What went wrong with our response: we added servers before checking whether they were busy.
"""


def test_the_sentences_after_here_is_the_cause_are_the_cause():
    """A blog that names its cause last, after an apology for its length and a wrong first theory."""
    parsed = parse(BLOG_WITH_THE_CAUSE_LAST)
    cause = parsed.fields["root_cause"]
    assert cause.startswith("When a player leaves a lobby while it is being filled")
    assert "You deserve" not in cause and "longer than usual" not in cause


def test_what_went_wrong_with_is_no_wrong_setting():
    taxonomy = Taxonomy.default()
    assert taxonomy.scores("Two slow evenings: what went wrong with lobby queues")["configuration"] == 0
    assert taxonomy.scores("A deploy picked the wrong subnet")["configuration"] > 0


DIAGNOSIS_IN_THE_TIMELINE = """# Build 3.1 rollout: players could not join

Players in every region were dropped and could not rejoin for twenty minutes.

**Timeline**

- 09:02: Began rolling out server build 3.1 to all regions.
- 09:05: First reports of "version mismatch" in the forums.
- 09:12: Confirmed in the server logs: build 3.1 expects protocol 12, and every client still speaks protocol 11.
- 09:20: Rolled the servers back to 3.0 in all regions.
"""


def test_a_diagnosis_confirmed_in_the_timeline_is_the_cause():
    parsed = parse(DIAGNOSIS_IN_THE_TIMELINE)
    assert "build 3.1 expects protocol 12" in parsed.fields["root_cause"]
    assert "Rolled the servers back to 3.0" in parsed.fields["fix"]


def test_a_component_the_writer_introduces_by_name_is_a_service():
    doc = """# Slow lobbies on Friday

Lobbies took minutes to fill on Friday evening.

Later that night we added timing logs to the lobby builder, which we call lobby-core internally, and found
it was caused by a list that was never cleared, so memory filled up.

We fixed it by clearing the list when a player leaves.
"""
    parsed = parse(doc)
    assert "lobby-core" in parsed.fields["services_affected"]
    assert parsed.provenance["services_affected"].startswith("prose")


def test_a_table_partition_is_no_network_partition():
    taxonomy = Taxonomy.default()
    stale = ("Orders are stored in a table partitioned by month. PostgreSQL planned the lookup with statistics "
             "gathered when the newest partition was empty, so the partition was scanned in full.")
    assert taxonomy.classify(stale) == "database"
    assert taxonomy.scores("A network partition split the etcd members.")["network"] > 0


def test_servers_targeted_by_an_attack_are_the_cause():
    doc = """# Websites not loading on Thursday evening

## What happened

Our DNS servers were targeted by a deliberate attack from a botnet of hijacked cameras. Pages did
not load because the overloaded servers could not answer lookups in time.

## What we did

From 20:35 we filtered out requests matching the attack and rate limited each device.
"""
    parsed = parse(doc)
    assert parsed.fields["root_cause"].startswith("Our DNS servers were targeted by a deliberate attack")
    fields = parsed.fields
    assert Taxonomy.default().classify_incident(fields["incident_title"], fields["root_cause"], fields["fix"]) == "security"


PRESENT_TENSE_BLOG = """# The day the queue stopped taking jobs

The job queue refused new jobs for two hours on Saturday.

## Why the queue couldn't keep up

A consumer group left behind by a finished experiment kept the broker from trimming its log, so
the log disk filled and the broker refused writes.

## The morning of

- **07:02** Writes to the queue fail.
- **07:31** We drop the stale consumer group.
- **07:40** We restart the brokers one at a time, and writes succeed again.

## What went wrong in our response

We restarted the producers first, which changed nothing. So the fix was in two parts:

- Trim the log by hand to free the disk.
- Add a retention alarm on every consumer group.
"""


def test_a_why_heading_a_present_tense_timeline_and_an_announced_fix():
    parsed = parse(PRESENT_TENSE_BLOG)
    assert parsed.provenance["root_cause"] == "heading: Why the queue couldn't keep up"
    fix = parsed.fields["fix"]
    assert "We drop the stale consumer group." in fix or "We restart the brokers" in fix
    assert "which changed nothing" not in fix


def test_an_announced_fix_brings_the_steps_after_it():
    doc = """# Mail stalled

## Summary

The spool disks ran out of inodes because of many small messages, so mail stopped.
We did not want to delete queued mail. So the fix was in two parts:

- Moved deferred messages to the central retry queue to free inodes.
- Replaced the hosts with volumes formatted with more inodes.
"""
    fix = parse(doc).fields["fix"]
    assert fix.startswith("So the fix was in two parts: Moved deferred messages to the central retry queue")


def test_a_trigger_the_writer_sums_up_outweighs_a_title_naming_what_broke():
    """A provider's long narrative chases the database first; its one-line summary names the
    trigger, and that, not the title's "Managed Postgres", decides."""
    taxonomy = Taxonomy.default()
    title = "Summary of the Managed Postgres Service Disruption"
    cause = ("Engineers first examined the database hosts, which were healthy. In short, the trigger of this event "
             "was packet loss on the network the connection routers use to synchronize their state.")
    fix = "Engineers paused automatic database failover and repaired the degraded Postgres clusters."
    assert taxonomy.classify_incident(title, cause, fix) == "network"


def test_a_list_of_theories_and_a_follow_ups_reason_are_not_the_cause():
    doc = """# CI jobs stuck in pending

The on-call engineer was paged at 08:31. The second theory was a capacity problem at our cloud provider, because the autoscaler logs were full of scale-up activity; that theory died quickly. The runner pods could not be scheduled because every new node carried a taint from a values file change.

We reverted the values file change at 09:41 and removed the taint from the existing nodes.

We have added an alert that fires when runner pods stay unschedulable, because that combination means a mismatch rather than a shortage.
"""
    cause = parse(doc, source_id="ci.md").fields["root_cause"]
    assert cause.startswith("The runner pods could not be scheduled because every new node carried a taint")
    assert "second theory" not in cause and "We have added an alert" not in cause


def test_the_problem_was_names_the_cause():
    doc = """# Scheduler outage after the upgrade

We upgraded the controller and then the compute nodes in batches of 50.

The problem was our use of configless mode: nodes still on the old version fetched a config with options they did not know and were drained.

We finished upgrading every compute node and resumed the drained nodes.
"""
    parsed = parse(doc, source_id="x.md")
    assert parsed.fields["root_cause"].startswith("The problem was our use of configless mode")
    assert parsed.provenance["root_cause"].startswith("prose")


def test_someone_else_throttling_us_is_a_dependency():
    taxonomy = Taxonomy.default()
    cause = ("Entitlements are checked against the platform holder's ownership API. On launch day that API started "
             "throttling us and returned HTTP 429 for a growing share of requests.")
    assert taxonomy.classify_incident("Players lost access to owned content", cause) == "dependency"
    assert taxonomy.classify_incident("Players lost access to owned content", "Our ingest workers were throttled by the disk's IOPS limit.") == "capacity"


FIVE_WHYS = """# Five Whys: lab results not reaching the wards

## Problem statement

Between 07:00 and 11:25 results were not appearing on the wards.

## The Whys

**1. Why did results stop appearing on the wards?**
Because the results interface stopped sending messages and queued them.

**2. Why did the interface stop sending?**
Because the client certificate it presents had expired and every TLS handshake was rejected.

**3. Why was the certificate not renewed?**
It was issued by hand outside the certificate register, so no expiry report listed it.

## How service was brought back

Security issued a new client certificate and the queued messages were replayed.
"""


def test_a_five_whys_chain_is_the_cause_and_its_category_is_past_the_first_answer():
    parsed = parse(FIVE_WHYS, source_id="whys.md")
    assert parsed.provenance["root_cause"] == "heading: The Whys"
    assert "outside the certificate register" in parsed.fields["root_cause"]
    f = parsed.fields
    assert Taxonomy.default().classify_incident(f["incident_title"], f["root_cause"], f["fix"]) == "security"


def test_the_writer_on_the_write_up_itself_is_not_the_cause():
    doc = """# Checkout slowdown on 9 October

We want to explain what happened, in plain terms, because we know sellers rely on checkout. It's a bit longer than our usual posts because a few people asked for detail. At 13:05 the payment provider's authorisation endpoint became very slow, and because our timeout was 30 seconds, stuck calls filled the payments thread pool.

We resolved it by cutting the timeout to 4 seconds at 13:40, which drained the thread pool.
"""
    cause = parse(doc, source_id="blog.md").fields["root_cause"]
    assert "authorisation endpoint became very slow" in cause
    assert "We want to explain" not in cause and "longer than our usual posts" not in cause


def test_a_reviews_particulars_tell_no_story_and_an_underlying_reason_is_the_cause():
    doc = """# Incident review: inter-site packet loss

- **Incident window**: 2024-09-03 08:47 – 11:32 (local time)
- **Review lead**: Kasimir Oduya (Platform Operations)

## Underlying reason

The carrier's inter-site circuit dropped packets while still showing as up, and session replication waited on every write.

## Resolution

The carrier replaced a faulty optic at 11:20 and replication caught up.
"""
    parsed = parse(doc, source_id="x.md")
    assert parsed.provenance["root_cause"] == "heading: Underlying reason"
    story = parse(doc.replace("## Underlying reason\n\n", ""), source_id="x.md")
    assert "Incident window" not in story.fields.get("root_cause", "")


def test_a_section_called_the_story_is_the_summary():
    doc = """# Daily Chest crash blocks logins

## The story

At midnight on 29 February every login failed, because the reward calendar had no row for 02-29 and the lookup raised an error.

## How we recovered

We disabled the Daily Chest lookup at 03:52 and logins recovered.
"""
    parsed = parse(doc, source_id="x.md")
    assert parsed.reason is None, parsed.detail
    assert parsed.provenance["root_cause"] == "prose: summary"


def test_a_feature_gated_behind_a_flag_that_was_rolled_out_is_configuration():
    cause = (
        "We have been building a new reminder scheduler that lets each clinic choose when reminders go out. "
        "It had been running behind the `reminders_v2` flag for a month without trouble.\n\n"
        "On Wednesday the flag rollout went from the pilot list to every clinic."
    )
    fix = "The SMS provider raised our daily spend cap and queued messages went out."
    assert Taxonomy.default().classify_incident("The 3 a.m. reminder storm", cause, fix) == "configuration"


def test_a_disk_that_filled_during_a_traffic_peak_is_capacity():
    cause = ("Root cause: the root disk on the search hosts filled with request logs during the sale's "
             "traffic peak (three times the usual volume on a disk sized for 2021 traffic).")
    assert Taxonomy.default().classify_incident("Search API returning 500s", cause, "We grew the volumes.") == "capacity"


def test_a_problem_that_coincided_with_an_update_names_it():
    doc = """# Checkout 503s during the nightly pipeline

## Summary

The 503s came back on Friday while the nightly pipeline ran, though this time the root cause was
a different one from last week's. The on-call engineer paged the platform team at 02:10 and they
joined the call within minutes. Digging in, the errors had begun three weeks earlier, and this
coincided with an update to the load balancer module we pin.

Its new defaults detach the targets for a minute on every run.

## Resolution

We pinned the module to its earlier release.
"""
    cause = parse(doc).fields["root_cause"]
    # The sentence is a cause of its own, not filler picked up with the sentences around it.
    assert "coincided with an update to the load balancer module" in cause
    assert "paged the platform team" not in cause


def test_some_bugs_in_the_code_are_a_cause():
    doc = """# Robot accounts out of sync

## Summary

When we first built the robot-account feature we had some bugs in our sync code, so accounts
were left with passwords that no longer matched the vault. Over the following months more and
more teams adopted the feature. However there is still a problem with how long names are
shortened, which due to the directory's limits cannot be solved as it stands.

## Resolution

We fixed the sync code and reset the passwords of every robot account.
"""
    p = parse(doc)
    assert "we had some bugs in our sync code" in p.fields["root_cause"]
    assert Taxonomy.default().classify_incident(p.fields["incident_title"], p.fields["root_cause"], p.fields["fix"]) == "software-bug"


def test_a_terraform_provider_is_tooling_not_an_upstream_provider():
    taxonomy = Taxonomy.default()
    plugin = ("The errors began on the 15th, which coincided with an update to the Terraform AWS provider. "
              "The provider behaviour changed and it detached the target groups.")
    assert taxonomy.classify_incident("Checkout 503s", plugin) == "configuration"
    upstream = taxonomy.scores("Our DNS provider had an outage and stopped answering for our zone.")
    assert upstream["dependency"] > 0


def test_a_remedy_said_to_be_out_already_is_the_fix():
    doc = """Internal write-up: https://git.example.test/ops/reviews/pull/12

On 3 May the flag service went down for two hours.

Our session store started stalling, which caused a short blip. Then every client retried its flag
requests at once and we knocked ourselves over.

From now on the clients will stop retrying flag requests and give up after two seconds. This is
already released for every client library.
"""
    p = parse(doc, source_id="2031-05-03-flags-down.md")
    assert p.reason is None
    assert "This is already released" in p.fields["fix"] and "will stop retrying" in p.fields["fix"]
    # The line naming where the write-up lives is not its title: the file name is.
    assert p.fields["incident_title"] == "flags-down"


def test_a_problem_that_went_away_on_its_own_with_no_cause_told_is_a_draft():
    doc = """# 2031-02-03, uploads hang

## Summary

Uploads reached 99% and then hung for everyone. Restarting the `upload-api` pods brought them back.

## Timeline

### 10:02

Support sees a pile of tickets about stuck uploads.

### 10:20

We restart the `upload-api` pods and uploads complete again.

## What went well

- We restarted quickly.

## Where we got lucky

- The restart was all it took and the problem resolved itself.
"""
    p = parse(doc, source_id="uploads.md")
    assert p.reason == "draft" and "resolved itself" in p.detail
    # The same write-up telling a cause is finished.
    told = doc.replace("Uploads reached 99% and then hung for everyone.",
                       "Uploads hung at 99% because the disk under /tmp had filled with partial files.")
    assert parse(told, source_id="uploads.md").reason is None


def test_rolling_over_a_node_is_what_fixed_it():
    doc = """# Pods pending on one node

## Summary

Pods on one node crash-looped after the weekly roll-over because the node ran out of memory.

## Timeline

| Time | Event |
| --- | --- |
| 2031-05-06 07:00 | Weekly node roll-over |
| 2031-05-06 08:00 | Pods on one node start crash-looping |
| 2031-05-06 11:30 | Rolled over the sick node |
| 2031-05-06 12:00 | All healthy and issue resolved |
"""
    assert "Rolled over the sick node" in parse(doc, source_id="pending.md").fields["fix"]



@pytest.mark.parametrize("ref", ["deploy#1298", "nbcommons/deploy#1298", "release-tools#77"])
def test_a_pull_request_reference_names_a_repository_not_a_deployment(ref):
    # "deploy#1298" is pull request 1298 of a repository called deploy.
    fix = f"At 19:45 we pointed the build pods at a registry mirror ({ref}) and added a pull secret."
    assert Taxonomy.default().scores(fix)["deployment"] == 0


def test_what_actually_happened_names_the_cause_over_a_because_in_the_impact():
    text = """# Dock scanners stopped syncing on the night shift

At about 01:40 the handheld scanners started showing "sync pending". The pickers could keep scanning, because the scanners queue events locally, but after 200 events a scanner refuses new scans.

The scanners talk to scan-sync, a small service on the site's edge cluster. It was built to survive a lost internet link, and it does. It was not built for what actually happened, which is that the disk under its queue started failing.

At 03:05 we moved scan-sync to a healthy node and restored the queue from the nightly copy; scanning recovered by 03:15.
"""
    p = parse(text, source_id="dock.md")
    assert "disk under its queue started failing" in p.fields["root_cause"]


def test_a_dns_update_that_missed_a_record_is_configuration():
    cause = ("The DNS update in CHG-7710 only changed the company-wide record. The site record still pointed at "
             "the old VIP, so when the old VIP was removed at 06:00 every scanner sent its requests to an address that no longer existed.")
    assert Taxonomy.default().classify_incident("Scanners unable to confirm picks", cause) == "configuration"


def test_what_we_are_adding_after_the_incident_is_no_cause():
    text = """# Slow transaction history after a plan flip

Transaction history pages timed out for two hours on Tuesday. The cause was an automatic ANALYZE that sampled skewed account ids and underestimated their number, so the planner switched to a backward index scan.

We pinned the statistics target and re-ran ANALYZE, which restored the old plan at 11:40.

We are also adding a per-query p99 alert, because a host-level latency alert will not notice a regression that hurts one query.
"""
    p = parse(text, source_id="plan.md")
    assert "per-query p99 alert" not in p.fields["root_cause"]


def test_a_change_record_cited_as_the_trigger_is_configuration():
    cause = ("Enabling IPsec on the data-centre interconnect (CHG-8812) reduced the path MTU between the two sites "
             "without an MSS clamp on the tunnel, so TCP segments larger than the tunnel MTU were blackholed.")
    assert Taxonomy.default().classify_incident("Checkout timeouts, 5-7 March", cause) == "configuration"


def test_a_route_leak_named_in_a_file_name_is_no_software_bug():
    assert Taxonomy.default().scores("NE-2024-031-edge-ix2-route-leak")["software-bug"] == 0


def test_a_database_on_a_drive_that_failed_is_hardware():
    cause = ("The NVMe drive holding the Postgres data directory on the primary host started failing at 08:50; "
             "reads timed out, the replica lagged and Patroni failed the database over.")
    fix = "Patroni's automatic failover to the standby restored the database and we replaced the drive."
    assert Taxonomy.default().classify_incident("transfers-pg failover: API errors for 38 minutes", cause, fix) == "hardware"


def test_a_european_teams_own_section_names_are_read_and_its_drafts_known():
    dutch = (
        "# Post-mortem: ritten niet te starten\n\n## Samenvatting\nRide starts failed for two hours on Saturday.\n\n"
        "## Oorzaak\nOur payment provider's card acquiring link slowed down after their maintenance and did not fail over.\n\n"
        "## Oplossing\nWe exempted trusted riders from pre-authorisation until the provider fixed the link.\n\n"
        "## Vervolgacties\n- Add a synthetic check on pre-authorisation.\n"
    )
    p = parse(dutch, source_id="ritten.md")
    assert p.reason is None, p.detail
    assert p.provenance["root_cause"] == "heading: Oorzaak" and p.provenance["fix"] == "heading: Oplossing"
    assert p.fields["action_items"] == ["Add a synthetic check on pre-authorisation."]
    german = (
        "# Postmortem: Produktsuche leer\n\n**Status:** Entwurf\n\n## Zusammenfassung\nSearch returned no results for 30 % of queries.\n\n"
        "## Ursache\n_Noch unklar._ The feed import at 19:30 is being checked.\n\n## Lösung\nThe rate went back to normal at 20:25.\n"
    )
    assert parse(german, source_id="produktsuche.md").reason == "draft"
    assert parse(german.replace("**Status:** Entwurf\n\n", ""), source_id="produktsuche.md").reason == "draft"
