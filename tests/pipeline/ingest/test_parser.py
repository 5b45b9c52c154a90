"""The parser on each real-world shape, and on the shared corpus where it is present."""

import json
from pathlib import Path

import pytest

from pipeline.ingest.formats import to_markdown
from pipeline.ingest.parser import FIX_CUES, STRONG_CAUSE, classify_label, parse, sentences, table_labels
from pipeline.ingest.taxonomy import Taxonomy
from tests.paths import SAMPLES, SHARED


SRE_STYLE = """# Checkout outage on 2024-05-02

**Date:** 2024-05-02

## Summary
Checkout returned HTTP 502 for 40 minutes.

## Impact
`checkout-api` and `cart-service` failed for all EU users.

## Root Causes
A connection pool of 20 in checkout-api was exhausted by a retry loop.

## Resolution
We raised the pool to 100 and restarted the pods.

## Action Items
| Action Item | Type | Owner | Bug |
|---|---|---|---|
| Alert on pool saturation | detect | ana | #12 |
| Cap client retries | prevent | li | #13 |

## Timeline
- 14:05 alerts fire
- 14:45 pods restarted, errors stop
"""

BOLD_LABELS = """---
title: Incident on 2025-02-11 - CDN purge storm
date: 2025-02-11
services: [cdn-edge, playback-api]
---

- **Impact**: viewers saw buffering.

- **Context**:
  - 2025-02-11 09:14 UTC: purge requests spike
  - 2025-02-11 09:40 UTC: purge API throttled

- **Why it happened**: a cron job purged the whole cache every minute after a config change
  to its schedule.

- **How we fixed it**: disabled the cron job and restored the hourly schedule.

- **Review actions**:
  - Add a guard on full purges
"""

PROSE_ONLY = """# Builds failing, 2019-02-20

## Summary
Builds stopped showing logs for three hours. This was caused by a node that had no IP
address in its metadata, so the master could not open tunnels to it.

## Timeline

### 08:03
Logs stop for all pods.

### 11:40
We removed the broken node and logs came back. Resolved by removing that node.
"""

TEMPLATE = """# PMyyyy-nnn - Title

## Summary
<describe what happened>

## Root cause
<describe the root cause>

## Resolution
TBD
"""


def test_sre_headings_fill_every_field():
    p = parse(SRE_STYLE, source_id="incidents/2024-05-02-checkout.md")
    assert p.reason is None
    f = p.fields
    assert f["incident_title"] == "Checkout outage on 2024-05-02"
    assert f["date"] == "2024-05-02"
    assert "connection pool" in f["root_cause"]
    assert "raised the pool" in f["fix"]
    assert f["action_items"] == ["Alert on pool saturation", "Cap client retries"]
    assert {"checkout-api", "cart-service"} <= set(f["services_affected"])
    assert "14:45 pods restarted" in f["timeline"]


def test_front_matter_and_bold_labels():
    p = parse(BOLD_LABELS, source_id="runbooks/incidents/2025-02-11-cdn-purge-storm.md")
    assert p.reason is None
    f = p.fields
    assert f["incident_title"] == "CDN purge storm"
    assert f["date"] == "2025-02-11"
    assert f["services_affected"] == ["cdn-edge", "playback-api"]
    assert f["root_cause"].startswith("a cron job purged")
    assert "to its schedule" in f["root_cause"]  # continuation line belongs to the label
    assert f["fix"].startswith("disabled the cron job")
    assert "09:40 UTC: purge API throttled" in f["timeline"]
    assert f["action_items"] == ["Add a guard on full purges"]


def test_prose_and_hh_mm_timeline():
    p = parse(PROSE_ONLY, source_id="2019-02-20-logs.md")
    assert p.reason is None
    assert "caused by a node" in p.fields["root_cause"]
    assert "removing" in p.fields["fix"]
    assert "08:03 — Logs stop for all pods." in p.fields["timeline"]
    assert p.fields["date"] == "2019-02-20"


def test_template_is_excluded_with_reason():
    p = parse(TEMPLATE, source_id="PMyyyy-nnn - Postmortem template.md")
    assert p.reason == "no-root-cause-and-fix"
    assert p.detail


def test_still_investigating_is_excluded():
    text = "# API slow\n\n## Summary\nLatency doubled. The root cause is still unknown; we are still investigating.\n"
    p = parse(text, source_id="x.md")
    assert p.reason == "draft" and "not known yet" in p.detail
    assert "still unknown" in p.detail


def test_front_matter_in_a_teams_own_keys_is_read():
    # A team's schema: "cause_summary" and "resolution_summary" hold the fields, "affected" nests
    # its services beside regions; a "fix_version" is a particular, no fix.
    text = """---
title: "Booking failures: lock queue on the depots row"
fix_version: 2.3.1
affected:
  services: [shipment-api, orders-db]
  regions: [eu-west]
cause_summary: >
  A batch job session sat idle in transaction for 40 minutes holding the row lock
  every booking to that depot needs.
resolution_summary: >
  The DBA terminated the idle backend and the lock queue drained in under a minute.
---

## Notes

We spent twenty minutes on the idea that the database itself was slow.
"""
    p = parse(text, source_id="pm.md")
    assert p.fields["root_cause"].startswith("A batch job session sat idle in transaction")
    assert p.provenance["root_cause"] == "front-matter: cause_summary"
    assert p.fields["fix"].startswith("The DBA terminated the idle backend")
    assert p.fields["services_affected"] == ["shipment-api", "orders-db"]


def test_a_services_label_that_lists_its_names_is_not_continued_by_the_next_numbered_section():
    # A PDF form's header: the label's line lists the systems, the numbered section under it
    # runs on in the same paragraph.
    text = """# Storage node failure

Report ID: OPS-IR-2024-019
Affected systems: ceph-prod, radosgw / S3 API, transcode-workers, media upload
1. Summary
[What happened, in no more than one paragraph.]

## 2. Cause

The SAS backplane in storage node stor-b7-04 failed, taking six OSDs down together.

## 3. Resolution

The vendor engineer replaced the backplane and I/O resumed.
"""
    p = parse(text, source_id="x.md")
    assert p.fields["services_affected"] == ["ceph-prod", "radosgw", "s3 api", "transcode-workers", "media upload"]
    # A label that leads into its list keeps the list.
    listed = parse(text.replace("Affected systems: ceph-prod, radosgw / S3 API, transcode-workers, media upload\n1. Summary",
                                "Affected systems: the two below\n- ceph-prod\n- radosgw\n\n1. Summary"), source_id="x.md")
    assert listed.fields["services_affected"] == ["ceph-prod", "radosgw"]


def test_broken_front_matter_is_a_clear_reason():
    p = parse("---\ntitle: [unclosed\n  }{ not a field\n---\n# T\n", source_id="x.md")
    assert p.reason == "bad-front-matter"
    assert "YAML" in p.detail


def test_front_matter_yaml_refuses_is_read_as_its_fields():
    # An unquoted colon or a leading [tag] is a YAML error, but plainly fields to a person.
    text = """---
title: [DRAFT] Checkout errors: card declines
services:
  - checkout-api
  - payments-gateway
status: draft
---
# Checkout errors

## Root cause
Under investigation.
"""
    p = parse(text, source_id="checkout.md")
    assert p.reason == "draft" and "draft" in p.detail
    text = text.replace("[DRAFT] ", "").replace("status: draft", "status: final").replace("Under investigation.", "An expired certificate on the card network's API.\n\n## Resolution\nWe renewed the certificate and retried the declined payments.")
    p = parse(text, source_id="checkout.md")
    assert p.reason is None and p.fields["incident_title"] == "Checkout errors: card declines"
    assert p.fields["services_affected"] == ["checkout-api", "payments-gateway"]


def test_explicit_category_wins_when_it_maps():
    t = Taxonomy.default()
    assert t.classify_incident("Disk full", "the disk filled up", hint=["Config"]) == "configuration"
    assert t.classify_incident("Disk full", "the disk filled up", hint=["Kubernetes"]) == "capacity"


@pytest.mark.parametrize(
    "title,cause,expected",
    [
        ("Payments 502s after v4.12 release", "the v4.12 release shipped a bad serializer", "deployment"),
        ("Certificate expired", "x509: certificate has expired on the tokenizer", "security"),
        ("Kafka broker disk full", "the broker ran out of disk space (ENOSPC)", "capacity"),
        ("Ledger replica lag", "replication lag on the ledger database after a long vacuum", "database"),
        ("RAID failure", "the RAID controller on the primary host failed", "hardware"),
        # The trigger told in words the symptom's category also uses.
        ("Replication timeouts", "a failing NIC on the db host threw CRC errors and dropped packets", "hardware"),
        ("Checkout errors", "the ledger database stayed up; the client certificate it requires had expired at midnight", "security"),
        ("Sporadic 502s", "the proxy kept keep-alive connections open longer than the app servers' idle timeout", "network"),
        ("Jobs stuck", "two worker threads deadlocked on the cache mutex under heavy load", "software-bug"),
        ("Image pulls failing", "the public container registry was returning errors for all pulls", "dependency"),
        ("Pods restarting", "the cooling in hall B failed and the hosts overheated", "hardware"),
        # A provider's report numbers its own incidents: no outside cloud failing.
        ("Nimbus Cloud Incident Report: delayed log ingestion",
         "Ingestion volume tripled after customers turned on debug logging; the buffers ran out of disk space", "capacity"),
        # A category named to rule it out is not the cause.
        # A provider's cause section opens on how the system works; the trigger comes after.
        ("Document store errors", "Accounts are served by replica nodes behind a gateway tier. Gateways keep open "
         "connections to the database replicas and multiplex requests over them.\n\nOn 4 May we were rolling out a "
         "new gateway version, which closed every connection on a single timeout.", "deployment"),
        # Words that only look like another category's: a leaked route is no leak in code, a
        # token's expiry date no expired token.
        ("Traffic detour", "a customer network leaked more-specific routes that a transit provider accepted", "network"),
        ("Sign-ins failed on 29 February", "the token's expiry date was computed with a leap-day bug", "software-bug"),
        ("Bids rejected", "the new pricing flag was set to 100% by mistake in the flag console", "configuration"),
        ("Resolution failures", "A member link with a degraded optical connection dropped frames. Because the first "
         "symptom was slow database queries, the initial investigation treated it as a database problem.", "hardware"),
        ("Search indexer crash loop", "listing IDs were stored in a signed 32-bit integer, which overflowed once "
         "the first ID passed 2^31; memory use was normal", "software-bug"),
        ("Sign-ins failed on 29 February", "session tokens issued on the leap day were rejected by the session store", "software-bug"),
        ("Uploads failing: artifact volume full", "the cleanup job had been failing for months and the volume "
         "filled to 100% during the release upload wave", "capacity"),
        # Running out because something leaks: the leak is the defect, the exhaustion its symptom.
        ("Chat outage", "All gateways ran out of memory at once. Each one was leaking memory: invites were never freed "
         "on disconnect.", "software-bug"),
        ("Chat outage", "All gateways ran out of memory at once during the launch-day traffic spike.", "capacity"),
        ("Outage on 8 April", "This was not an attack. A new rule with a slow regular expression was rolled out "
         "to every edge server at once", "deployment"),
        # A new version that reached production the way config does (a pipeline, an apply).
        ("Ingress 502s", "a scheduled pipeline applied the cluster manifests with an unpinned version of the ingress "
         "controller, which was upgraded to a release that no longer forwarded the proxy headers", "deployment"),
        # A cause section that only tells how the system works (no event): the title names the trigger.
        ("Launches failing: cluster ran out of pod IP addresses", "Each zone has its own subnet behind the ingress "
         "load balancer, and the VPC CNI gives every pod an address from the subnet of its node. Connectivity between "
         "zones goes through the NAT gateway.", "capacity"),
        # Vocabulary for a switch's multicast, a cooling plant's pump, a fixed-width counter and
        # a limit hit.
        ("Label printers resetting", "The switch stopped forwarding VRRP multicast on the server VLAN, so both load "
         "balancer nodes claimed the virtual IP.", "network"),
        ("Mobile data down in the north", "The chilled-water pump for the equipment hall seized and the standby pump "
         "never started, so the site failover left the gateways running hot.", "hardware"),
        ("Edge proxy crashes", "A 32-bit unsigned integer connection counter in the proxy rolled past its maximum "
         "after 200 days without a restart.", "software-bug"),
        ("Token service timeouts", "Front-end servers hit their worker limit as requests queued, and retries pushed "
         "the rest over the limit too.", "capacity"),
        ("Card provisioning errors", "The cryptographic accelerator inside one HSM failed; the appliance kept "
         "answering the network health probe, so the client kept sending it work.", "hardware"),
        # A cause that is all one ruling-out sentence still says what it says.
        ("Login overload", "credential stuffing attack against the login endpoint using a leaked combo list, looked "
         "like a traffic problem because password hashing is deliberately expensive", "security"),
        # A botnet's flood is an attack, however much CPU it used; an outside authority failing is a
        # dependency; a zone file's glue records are configuration; a worker pool flooded by usage
        # is load, not a flooded room.
        ("Name servers overwhelmed", "A botnet sent a random-subdomain flood of uncacheable queries that exhausted CPU "
         "on the name servers.", "security"),
        ("Clients rejecting TLS", "The external certificate authority's OCSP responders had an outage, and clients "
         "with strict revocation checks rejected our certificates.", "dependency"),
        ("Site unreachable after name server move", "During the cut-over an engineer published an old zone file whose "
         "glue records pointed at servers that were not serving yet.", "configuration"),
        ("Exports slow at month end", "Month-end usage flooded the export worker pool and exhausted the connection "
         "pool.", "capacity"),
        # A first hypothesis, or what it was never, is not the cause.
        ("Queue timeouts", "Our first hypothesis was a database deadlock in the party store. The region affinity "
         "flag had been set to strict for every environment.", "configuration"),
        ("Queue timeouts", "Scaling did nothing because it was never a capacity issue. The region affinity flag had "
         "been set to strict for every environment.", "configuration"),
        # The query planner choosing a bad plan is the database; a version upgrade that made it do so
        # is a deployment.
        ("Search page timeouts", "Nightly statistics refresh left the planner estimating one row per tenant, so it "
         "picked a sequential scan over the events table for every search.", "database"),
        ("Slow reports after the weekend", "After the upgrade to Postgres 16 rolled out on Saturday, the new planner "
         "chose a sequential scan for the busiest report query.", "deployment"),
        # A part the write-up clears of blame ("the database itself was healthy") is not the category.
        ("Slow pages during the spring sale", "Sale traffic was five times the usual peak and the app servers ran at "
         "full CPU. The Postgres database itself was healthy, but every query waited on a busy worker.", "capacity"),
        # An availability zone named as part of one's own layout is no provider failing; its outage is.
        ("Ingress down", "A planned change to the cluster that split its auto-scaling groups per availability zone "
         "caused the AWS load balancer to detach every worker node.", "configuration"),
        ("Ingress down", "An availability zone outage at our cloud provider took half the worker nodes away.", "dependency"),
        # A supplier's failure, told as its problem or in its own report, whatever part failed.
        ("Card terminals rebooting", "The terminal maker pushed new firmware to our card readers overnight; it crashes "
         "on contactless payments. It was a vendor problem, not our network.", "dependency"),
        ("Bleeps silent", "A fault on a session border controller in Calvex's hosted telephony platform dropped our SIP "
         "trunk. Calvex's reason-for-outage report says a memory exhaustion condition stopped it.", "dependency"),
        # A cable cut by someone digging is the physical plant, whoever held the drill.
        ("Broadband down in two villages", "A third-party contractor laying drains struck our duct with a directional "
         "drill, severing the cable that carries both fibre pairs.", "hardware"),
        # An operating system's patch is new code on the server; cabinets locked shut are no database's lock.
        ("Dispensing cabinets locked", "The monthly cumulative update was installed on the application server and enforced "
         "DCOM hardening, which the cabinets' protocol cannot meet.", "deployment"),
        # A fraud or WAF rule set live is a change of configuration.
        ("Good customers declined", "Velocity rule V-12 was published straight to enforce mode and keyed on a device id "
         "that many browsers share.", "configuration"),
        # The machine under a managed database failing is hardware; the failover is its symptom.
        ("Exam autosave failing on the quiz database", "The provider's host under our database primary failed (hardware "
         "degradation), which forced a failover; the pool kept dead connections to the old primary.", "hardware"),
        ("Clinicians locked out of accounts", "A conditional access policy was applied to every staff group and "
         "required a registered device that most ward PCs lack.", "configuration"),
        ("Scratch full", "One job wrote a checkpoint every minute for two days and filled the scratch filesystem.", "capacity"),
        # Letting go of what was held is no release of software.
        ("Line 4 stopped: MES not releasing serials", "Stations waited on locks held by a report query against the "
         "production database.", "database"),
    ],
)
def test_classifier_rules(title, cause, expected):
    assert Taxonomy.default().classify_incident(title, cause) == expected


@pytest.mark.parametrize(
    "title, cause, fix, expected",
    [
        # A fix that ships a remedy says nothing of the trigger and one that undoes a change does.
        ("Build delays",
         "Thousands of projects picked up a new framework version at once and the build cache filled its disks.",
         "We added storage to the build cache; the new eviction job was merged and deployed the next day.", "capacity"),
        ("Duplicate events",
         "Consumers were kicked out of the group on every long batch.",
         "The pool change was reverted and deployed at 12:51; rebalances stopped.", "deployment"),
        # A limit someone set lower is the configuration trigger of the exhaustion; one nobody set stays capacity.
        ("Support tickets lost while the helpdesk queue was full",
         "The ticket-queue retention limit had been cut to 10,000 messages to save storage, and the Monday backlog "
         "filled it, so new messages were dropped.",
         "Raised the retention limit back to 200,000 messages and replayed the archive.", "configuration"),
        ("Ticket queue full",
         "The Monday backlog filled the queue to its limit and new messages were dropped.",
         "", "capacity"),
        # A database whose disk filled up is capacity.
        ("Postgres disk full",
         "the managed postgres disk (20GB) hit 100%. most of it was the events table, which logged every health "
         "check request, about 12GB of rows and indexes.",
         "Freed space and resized the volume.", "capacity"),
        ("Loan postings stopped",
         "Partition 2 of the DB2 tablespace LOANTS reached the maximum number of extents because the table kept "
         "growing and its secondary allocation was far too small.",
         "Freed space and resized the volume.", "capacity"),
        # A partner changing its side unannounced is a dependency.
        ("Orders missing since Monday",
         "Brindle went live with a new order system over the weekend. They didn't tell us, and its invoices now "
         "use a different date format, so our import rejects every file.",
         "We changed our side to match.", "dependency"),
        ("Orders missing since Monday",
         "Put plainly: the Larkspur exchange started rejecting bid responses without a currency field, and our "
         "adapter never set it.",
         "We changed our side to match.", "dependency"),
        # Packages pulled upstream are a dependency.
        ("Most image builds failing",
         "We were slow to see that the distribution had pulled several of its packages for the old release from "
         "the mirror our base image builds from.",
         "Moved the base image to a supported release.", "dependency"),
        ("Most image builds failing",
         "The maintainers yanked version 4.2 of the date library overnight; packages were unpublished from the "
         "registry and every build that pinned it failed.",
         "Moved the base image to a supported release.", "dependency"),
        # A database in other words is read as one.
        ("Shipping instructions late",
         "In short, the cause was an inappropriate execution plan of the allocation SQL, caused by stale optimizer "
         "statistics after a large change in the data.",
         "Statistics were gathered again and the batch rerun.", "database"),
        # A failed controller or UPS battery is hardware.
        ("Slow artifact reads and writes",
         "The storage log shows the controller battery failure and the cache policy change to write-through.",
         "Replaced the part.", "hardware"),
        ("Slow artifact reads and writes",
         "The generator did not start: its starter battery was flat after the last test.",
         "Replaced the part.", "hardware"),
        # A cause placed with the supplier is a dependency.
        ("Live odds feed lag",
         "The cause was on the supplier's side. The night before, the data supplier carried out planned "
         "maintenance on its broker cluster and one node came back with a degraded disk array but stayed in "
         "rotation.",
         "The supplier took the node out of rotation.", "dependency"),
        # Defective flash chips are hardware, Cassandra tombstones a database problem.
        ("Cameras from one lot dropping offline",
         "Defective flash chips: the NOR flash used for one production lot wore out after a few thousand cycles "
         "and corrupted the configuration partition.",
         "Shipped a firmware that writes less often.", "hardware"),
        ("Schedule edits failing",
         "Reads of the schedules table in Cassandra were aborted once partitions accumulated more than 100,000 "
         "tombstones, because each save deleted and re-inserted every entry.",
         "Lowered gc_grace_seconds and forced a compaction.", "database"),
        # Time spent chasing the wrong lead says what the cause was not.
        ("Console account linking failing",
         "That is the whole root cause: we pinned the platform's signing certificate, the platform rotated it, and "
         "our copy was stale. It took long to find partly because we spent Thursday evening chasing our own deploy "
         "from Wednesday, which was recent and looked suspicious.",
         "Unpinned the certificate.", "security"),
        # A caching or lifecycle rule someone added is configuration.
        ("Leaderboard showing someone else's rank",
         "The edge caching rule added that morning cached every response under /v2/leaderboard/, including the "
         "personalised /me endpoint, using a cache key that ignored the Authorization header.",
         "Narrowed the cache rule and purged the CDN.", "configuration"),
        # An external laboratory or supplier that changed its side is a dependency.
        ("Referred lab results delayed",
         "The external reference laboratory migrated its outbound results messaging platform without notice and "
         "configured our interface with an obsolete destination address, so results were queued there and never "
         "sent.",
         "They corrected the address and resent the queue.", "dependency"),
        # A supplier's own reason for outage makes the cause theirs, whatever failed inside.
        ("Customs declarations stuck",
         "Summary of the vendor's reason for outage: their primary database node had a storage fault. The cluster "
         "failed over to the standby, whose secondary index was corrupted, so every insert into that table failed.",
         "They restored their service; we replayed the queue.", "dependency"),
        # So do their own report, an attack on them, and "on their side": their database, the
        # attackers and their release are theirs.
        ("Checkout failures", "Paymint performed an unplanned failover of the primary database behind its "
         "authorization cluster. Paymint's own RCA confirms this.", "Their new primary warmed up.", "dependency"),
        ("Authoritative DNS outage", "Volumetric DDoS against our sole authoritative DNS provider, whose nameservers "
         "stopped answering.", "They mitigated the attack.", "dependency"),
        ("CDN 502s", "The CDN shipped an edge release that mishandled TLS session resumption. This was entirely on "
         "their side and they rolled it back.", "They rolled it back.", "dependency"),
        # The writer saying what kind of problem it was has the last word.
        ("Orders stuck after the firewall failover", "Connection state was not carried over to the standby firewall "
         "database sessions hung. The failover was the trigger and it is a network-layer problem.",
         "Restarted the services.", "network"),
        ("Closing balances wrong", "The statement job read the ledger with the wrong cut-off setting. This is a software "
         "defect in the cut-off calculation, not a configuration change.", "Patched the job.", "software-bug"),
        # Not where the writer owns the trigger after all.
        ("SSO login failures", "Not the vendor's outage after all but our own Terraform change, which removed the "
         "production redirect URI against our identity provider's client.", "Reverted the change.", "configuration"),
    ],
)
def test_classifier_rules_given_the_fix(title, cause, fix, expected):
    assert Taxonomy.default().classify_incident(title, cause, fix) == expected


def test_an_address_is_no_version_number():
    scores = Taxonomy.default().scores
    assert scores("the policy rejected 0.0.0.0/0 and the target 10.20.14.37")["deployment"] == 0
    assert scores("the 4.18.0 release")["deployment"] > 0 and scores("upgraded to v2.8")["deployment"] > 0


def test_a_load_balancer_is_no_load():
    assert Taxonomy.default().scores("External HTTP(S) Load Balancing returned errors")["capacity"] == 0
    assert Taxonomy.default().scores("a sudden load on the API")["capacity"] > 0


def test_a_page_that_would_not_load_is_no_load():
    # The verb is what users saw; the noun is the pressure on a system.
    scores = Taxonomy.default().scores
    for symptom in ("The app couldn't load the basket", "Dashboards failed to load", "Pages did not load for an hour"):
        assert scores(symptom)["capacity"] == 0, symptom
    assert scores("The exporter was too slow to load under that many consumer groups")["capacity"] > 0


def _gold(folder: Path) -> list[dict]:
    return [json.loads(l) for l in (folder / "labels.jsonl").read_text().splitlines() if l.strip()]


@pytest.mark.skipif(not (SHARED / "labels.jsonl").exists(), reason="../shared/corpus is absent")
def test_shared_corpus_keeps_parseable_documents():
    kept = total = 0
    for gold in _gold(SHARED):
        if not gold["parseable"]:
            continue
        total += 1
        text, reason, _ = to_markdown((SHARED / gold["path"]).read_bytes(), gold["path"])
        kept += text is not None and parse(text, source_id=gold["path"]).reason is None
    # Measured 96/105 when written; this guards against regressions, the benchmark reports it.
    assert kept / total >= 0.85


@pytest.mark.skipif(not (SAMPLES / "labels.jsonl").exists(), reason="sample corpus not written yet")
def test_sample_corpus_matches_its_labels():
    ok = cats = 0
    golds = _gold(SAMPLES)
    for gold in golds:
        text, reason, _ = to_markdown((SAMPLES / gold["path"]).read_bytes(), gold["path"])
        p = parse(text, source_id=gold["path"]) if text is not None else None
        kept = p is not None and p.reason is None
        assert kept == gold["parseable"], (gold["path"], p and p.reason)
        if kept:
            ok += 1
            f = p.fields
            cats += Taxonomy.default().classify_incident(
                f["incident_title"], f["root_cause"], f["fix"], hint=f["category_hint"]
            ) == gold["root_cause_category"]
    assert cats / ok >= 0.75


# -- drafts, key/value tables, labels, section roles, provenance ---------------------------------

STORY = "# Checkout errors\n\n## Summary\nCheckout returned errors for half an hour on Tuesday morning.\n\n"


@pytest.mark.parametrize(
    "cause, fix",
    [
        ("Not yet identified.", "We restarted the checkout pods, which cleared the errors."),
        ("TBD", "Rolled back the release."),
        ("Unknown", "Rolled back the release."),
        ("Still under investigation; the team is reading the proxy logs.", "Rolled back the release."),
        ("Pending RCA from the database vendor.", "Failed over to the replica."),
        ("To be determined", "Failed over to the replica."),
        ("We don't know yet why the pool emptied.", "Failed over to the replica."),
        ("The pool size was lowered to 4 by a config change.", "None yet."),
        ("The pool size was lowered to 4 by a config change.", "Not recovered; traffic is still degraded."),
        ("The pool size was lowered to 4 by a config change.", "Options under discussion with the vendor."),
        ("The pool size was lowered to 4 by a config change.", "**Not yet.** Raise the pool again, or move the service to its own database."),
        ("The pool size was lowered to 4 by a config change.", "Three options on the table, to pick at Thursday's review."),
        ("The pool size was lowered to 4 by a config change.", "Self-resolved, cause unknown."),
        ("n/a", "Rolled back the release."),
        # The slot still open, however much is said after it about what was tried.
        ("TBD - waiting on the vendor's written analysis. " + "We asked them what changed on their side. " * 12,
         "Failed over to the replica."),
        ("- To be confirmed after vendor review. " + "The supplier's first notice names a fault on the controller. " * 8,
         "Moved the access points to the standby controller."),
        ("Pending vendor RCA. The processor says the disruption was on their side.", "It recovered when they did."),
        ("We have not been able to determine a root cause.", "Latency returned to normal on its own at 20:55."),
        # A write-up left off mid-sentence.
        ("The reason of problem was the", "Manual offset pushed to the old displays as a workaround at 07:30."),
        # A problem record's fix still open, however much of the plan it goes on to give.
        ("Electrical noise on the encoder cable from the new welding cell.",
         "*Open.* Permanent solution proposal (not yet done): a shielded cable, re-routed away from the welder."),
    ],
)
def test_placeholder_cause_or_fix_is_a_draft(cause, fix):
    p = parse(STORY + f"## Root cause\n{cause}\n\n## Resolution\n{fix}\n", source_id="x.md")
    assert p.reason == "draft", (cause, fix, p.reason)
    assert p.detail.startswith(("the root cause says", "the resolution says"))


@pytest.mark.parametrize(
    "doc",
    [
        "---\nstatus: Draft\n---\n" + STORY,
        "---\npostmortem_status: in progress\n---\n" + STORY,
        STORY + "**Status:** investigation ongoing\n",
        STORY + "| Field | Value |\n| --- | --- |\n| Document status | WIP |\n",
        STORY + "Status: open\n",
        STORY + "| Field | Value |\n| --- | --- |\n| Status | Template — not started |\n",
        STORY + "| Field | Value |\n| --- | --- |\n| Status | Awaiting vendor RCA |\n",
        STORY + "**Status:** Monitoring\n",
        STORY + "**Status of this doc:** draft, to be reviewed\n",
    ],
)
def test_draft_status_excludes_even_a_complete_looking_write_up(doc):
    doc += "\n## Root cause\nA config change lowered the pool to 4.\n\n## Resolution\nReverted the change.\n"
    p = parse(doc, source_id="x.md")
    assert p.reason == "draft" and p.detail.startswith("its ")


@pytest.mark.parametrize(
    "update",
    [
        "We failed over to the secondary region and are continuing to investigate the underlying cause.",
        "Service is restored. A full root cause analysis will be published once our investigation is complete.",
        "The nodes were rolled over. We're trying to identify the root cause before the next rollover.",
        "Investigation ongoing. This is a running log, not a review. Restarted node 4 as a test.",
        "Our investigation into the underlying cause is ongoing. Brokers kept losing partition ownership until we restarted them.",
        "We believe an issue at our DNS provider caused it and are awaiting their confirmation. Errors stopped at 14:40.",
        "Resolution failures at the DNS provider caused it. This review will be updated with the confirmed root cause.",
        "We will replace this with a full review once our investigation is finished. Traffic moved back at 14:40.",
        "Our leading hypothesis is port exhaustion on the new pool. Until one of these is confirmed, please treat the cause as unknown.",
        "The root cause of this incident has not yet been determined. Traffic was moved to the other zone at 14:40.",
        "A permanent fix has not been identified; workaround in place. Card payments recovered at 14:40 after a restart.",
        "Summary for handover: No root cause, no fix. The only workaround is restarting the gateway, done at 14:40.",
        "A config change lowered the pool size, which caused it. Not closing the incident - the problem is still there.",
        "A config change lowered the pool size, which caused it. What we haven't done: an actual fix. Restarts help for an hour.",
        # A rollback notice: service back, the cause not known.
        "Rolling back to 5.8.2 brought payments back at 14:40. WE DO NOT YET KNOW WHY. Please don't read the rollback as a diagnosis.",
        "Status: ROLLED BACK / CAUSE UNDER INVESTIGATION. The release 5.9.0 was rolled back at 14:40.",
    ],
)
def test_a_status_update_that_promises_the_cause_is_a_draft(update):
    doc = f"# Card payments failing\n\n## Summary\n\nBetween 14:02 and 14:40 UTC some card payments failed. {update}\n"
    p = parse(doc, source_id="update.md")
    assert p.reason == "draft", (update, p.reason, p.fields.get("root_cause"))


def test_a_section_still_holding_the_template_is_a_draft():
    # The summary is written, the cause and fix sections still hold the template's guidance
    # and placeholders: the write-up is unfinished.
    doc = STORY + (
        "## Root cause\n\n_What was the underlying cause? Not the symptom._\n\n`[Describe the root cause here]`\n\n"
        "## Resolution\n\n_What did we do to restore service?_\n\n`[Describe the steps taken]`\n"
    )
    p = parse(doc, source_id="pir.md")
    assert p.reason == "draft"
    assert p.detail == "the root cause is still the template's placeholder"


def test_rolled_over_and_back_to_normal_is_no_rollback():
    # "rolled over ... back to their normal state" tells that nodes were replaced and pods
    # recovered; "rolling the fleet back to the previous build" is the fix.
    from pipeline.ingest.parser import FIX_CUES, STRONG_FIX

    assert not STRONG_FIX.search("All nodes have been rolled over and all pods are back to their normal working state.")
    assert STRONG_FIX.search("At 09:20 we began rolling the front-end fleet back to the previous build.")
    assert FIX_CUES.search("At 09:20 we began rolling the front-end fleet back to v2.3.")


def test_a_cause_found_late_is_no_unknown_cause():
    doc = (STORY + "## Root cause\n\nThe root cause was not identified until 14:20: a retry bug shipped in 4.2 flooded "
           "the API with repeated calls.\n\n## Resolution\n\nWe rolled back to 4.1 and the flood stopped.\n")
    assert parse(doc, source_id="x.md").reason is None


def test_finished_status_and_a_real_cause_are_kept():
    doc = (
        "---\nstatus: Complete\n---\n" + STORY + "## Root cause\nAn unknown client flooded the API after a retry "
        "bug shipped in 4.2; why its retries ignored the backoff is not yet understood but the flood was the cause.\n\n"
        "## Resolution\nBlocked the client and rolled back to 4.1.\n"
    )
    assert parse(doc, source_id="x.md").reason is None


def test_key_value_table_rows_are_read():
    doc = (
        "# Login outage\n\n| Field | Value |\n| --- | --- |\n| Date | 2025-02-03 |\n"
        "| Root cause | The session store's TLS certificate expired overnight. |\n"
        "| Resolution | Renewed the certificate and restarted the auth pods. |\n"
        "| Services affected | auth-api, session-store |\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.reason is None
    assert p.fields["root_cause"] == "The session store's TLS certificate expired overnight."
    assert p.fields["fix"] == "Renewed the certificate and restarted the auth pods."
    assert p.fields["services_affected"] == ["auth-api", "session-store"]
    assert p.provenance["root_cause"] == "table: Root cause" and p.provenance["date"] == "table: Date"


def test_a_grids_section_row_heads_the_rows_under_it():
    # A Word grid merges a row across the table to name a section ("3 Fix"); the rows under it,
    # whatever their own names ("Restore", "Permanent"), are that section's text.
    doc = (
        "# Driver app outage\n\n| **1 What happened** |  |  |\n| --- | --- | --- |\n"
        "| **Services** | driver app, mobile-api, ops-db |  |\n"
        "| **2 Why** |  |  |\n| **Topic** | **What happened** | **Evidence** |\n"
        "| **Actually was** | The mobile-api 3.14.0 release fetched each parcel's scans with its own query. | PR #4471 |\n"
        "| **3 Fix** |  |  |\n"
        "| **Restore** | Rolled mobile-api back to 3.13.2 at 06:36. | Argo CD |\n"
        "| **Permanent** | 3.14.1 loads scan history in one batched query. | PR #4490 |\n"
        "| **4 Actions** |  |  |\n| A1 | Load test with 250 parcels | Routing |\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.reason is None
    assert p.fields["root_cause"] == "Actually was: The mobile-api 3.14.0 release fetched each parcel's scans with its own query. PR #4471"
    assert p.fields["fix"].startswith("Restore: Rolled mobile-api back to 3.13.2 at 06:36.")
    assert "batched query" in p.fields["fix"] and "250 parcels" not in p.fields["fix"]
    assert p.provenance["fix"] == "table: 3 Fix"
    assert p.fields["services_affected"] == ["driver app", "mobile-api", "ops-db"]


def test_an_incident_inside_a_newsletter_or_a_runbook_is_named_by_its_part():
    # The page's title names the newsletter or the runbook; the part that holds the cause and
    # the fix names the incident.
    newsletter = (
        "# Platform Weekly — Issue #112\n\n## Build cache: the numbers are in\n\nHit rate is up to 81%.\n\n"
        "## 🔥 Incident recap: Bookings timing out, Tue 6 Feb\n\n### What actually happened\n\n"
        "### Root cause\n\nA config push halved the booking pool's connection limit.\n\n"
        "### How we fixed it\n\nWe reverted the push and the pool recovered.\n\n## Dates\n\nOn-call rota changes in March.\n"
    )
    p = parse(newsletter, source_id="platform-weekly-112.md")
    assert p.fields["incident_title"] == "Bookings timing out, Tue 6 Feb"
    assert p.provenance["incident_title"] == "heading: 🔥 Incident recap: Bookings timing out, Tue 6 Feb"
    runbook = (
        "# ledger-writer on-call runbook\n\n## Alerts\n\nLag pages at 250k.\n\n## Known failure modes\n\n"
        "### Pooler saturation that looks like a slow database (INC-4471)\n\n"
        "**Cause:** the writer's pool size was raised past what the pooler allows.\n\n"
        "**Fix:** we set the pool back to 40 connections.\n"
    )
    assert parse(runbook, source_id="RUNBOOK.md").fields["incident_title"] == "Pooler saturation that looks like a slow database (INC-4471)"
    # Under an incident's own title a part is its short version; a part headed by the report's
    # kind names no incident.
    own = newsletter.replace("# Platform Weekly — Issue #112", "# Bookings timing out")
    assert parse(own, source_id="x.md").fields["incident_title"] == "Bookings timing out"
    kind = newsletter.replace("🔥 Incident recap: Bookings timing out, Tue 6 Feb", "Post-incident report")
    assert parse(kind, source_id="x.md").fields["incident_title"] == "Platform Weekly — Issue #112"


def test_a_digest_with_top_level_parts_is_named_by_the_part_that_holds_the_incident():
    # A word processor's digest makes every part a Heading 1: the first is the digest's title,
    # a later one holds the incident reviewed in depth.
    digest = (
        "# SRE Quarterly Digest — Q2\n\n# Headlines\n\nFour incidents, one reviewed in depth.\n\n"
        "# Deep dive: PIR-88 — invoices emailed twice\n\n## Root cause\n\n"
        "A retry in the mailer resent every batch after a timeout.\n\n## Resolution\n\n"
        "We made the send idempotent and dropped the duplicate batches.\n\n# Looking ahead\n\nMore game days.\n"
    )
    p = parse(digest, source_id="digest.docx")
    assert p.fields["incident_title"] == "PIR-88 — invoices emailed twice"
    assert p.provenance["incident_title"] == "heading: Deep dive: PIR-88 — invoices emailed twice"
    featured = digest.replace("# Deep dive:", "## 3. Featured review:").replace("## Root", "### Root").replace("## Resolution", "### Resolution")
    assert parse(featured, source_id="digest.pdf").fields["incident_title"] == "PIR-88 — invoices emailed twice"


def test_a_service_credit_reports_incident_is_named_by_its_part_under_the_letterhead():
    # No heading names the page: its kind is the line under the provider's name. The incident's
    # part carries its reference; what was done has a section of its own.
    doc = (
        "**ORRERY ANALYTICS**\n\n**Quarterly Service Credit Report**\n\n"
        "| Customer | Brightwell Logistics |\n| --- | --- |\n| Period | Q2 2024 |\n\n"
        "## 1. Summary\n\nMeasured availability was 99.84%, below the committed 99.9%.\n\n"
        "## 2. Incident OA-INC-2405-14: dashboards and reports timing out\n\n"
        "**Cause:** a schema migration left the reporting replica without its index, so queries scanned whole tables.\n\n"
        "## 3. Actions taken\n\nWe rebuilt the index online and moved reports to the second replica.\n"
    )
    p = parse(doc, source_id="Service-Credit-Report_Q2-2024.docx")
    assert p.fields["incident_title"] == "dashboards and reports timing out"


def test_a_runbooks_incident_history_table_gives_the_row_told_in_full():
    doc = (
        "# Payments gateway runbook\n\n## Failover\n\nSwitch the tokenizer flag to cardsafe.\n\n"
        "## Known failure modes / incident history\n\n| Date | Ticket | What happened | Cause | Resolution |\n| --- | --- | --- | --- | --- |\n"
        "| 2023-09-02 | PIR-118 | acquirer timeouts | See acquirer runbook | Fixed on their side |\n"
        "| 2024-03-08 | PIR-164 | Card authorizations failing at the tokenize stage for 47 minutes. 38,000 checkouts failed. "
        "| Vaultline had a regional outage that left their tokenize endpoint returning 503; nothing changed on our side. "
        "| On-call switched the tokenizer provider flag to cardsafe at 19:29, which recovered new-card payments. |\n"
    )
    p = parse(doc, source_id="runbook.md")
    assert p.fields["root_cause"].startswith("Vaultline had a regional outage")
    assert p.fields["fix"].startswith("On-call switched the tokenizer provider flag")
    assert p.fields["incident_title"] == "Card authorizations failing at the tokenize stage for 47 minutes."
    assert p.provenance["root_cause"] == "table: Cause (2024-03-08)"


def test_a_form_row_of_two_pairs_gives_each_field_its_own_value():
    # Word and Confluence incident forms lay their details out two fields to a row.
    rows = (
        "# Checkout latency\n\n| Field | Value | Field | Value |\n|---|---|---|---|\n"
        "| Severity | SEV2 | Status | {status} |\n| Services | checkout-api, pricing | Date | 2024-05-02 |\n"
        "| Root cause | A config push set the pricing cache TTL to zero. | Resolution | Reverted the push and warmed the cache. |\n"
    )
    p = parse(rows.format(status="Resolved"), source_id="x.md")
    assert p.fields["root_cause"] == "A config push set the pricing cache TTL to zero."
    assert p.fields["fix"] == "Reverted the push and warmed the cache."
    assert p.fields["services_affected"] == ["checkout-api", "pricing"] and p.fields["date"] == "2024-05-02"
    assert p.provenance["fix"] == "table: Resolution"
    assert parse(rows.format(status="Draft"), source_id="x.md").reason == "draft"


def test_plain_and_emoji_labels_and_quoted_callouts():
    doc = (
        "# Search down\n\nSearch returned nothing for an hour.\n\n"
        "> 🔥 Root cause: the index alias pointed at an empty index after a failed reindex.\n\n"
        "**🛠️ Resolution:** pointed the alias back at the previous index.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"] == "the index alias pointed at an empty index after a failed reindex."
    assert p.fields["fix"] == "pointed the alias back at the previous index."
    assert p.provenance["root_cause"] == "label: Root cause"


def test_a_heading_inside_a_quoted_panel_heads_its_lines_without_their_quote_marks():
    # A Confluence panel renders as a quote; a heading inside it still heads a section.
    doc = (
        "# Ledger writes stalled\n\n## Root cause\n\nA migration locked the entries table.\n\n"
        "> **Info:**\n>\n> ## Resolution\n>\n> We killed the migration\n> and re-ran it online.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.fields["fix"] == "We killed the migration\nand re-ran it online."


def test_a_cause_label_that_goes_on_to_its_fix_gives_both():
    doc = "# Disk full on db-1\n\nRoot cause: the log volume on db-1 filled up after log rotation broke. Fixed by deleting old logs and repairing logrotate.\n"
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"] == "the log volume on db-1 filled up after log rotation broke."
    assert p.fields["fix"] == "Fixed by deleting old logs and repairing logrotate."
    # A cause's whole section may tell what was tried and undone on the way: that is no fix.
    section = "# Vision rejects\n\n## Root cause analysis\n\nThe ring light had aged. We tried a firmware update. Reverted the same day.\n"
    assert parse(section, source_id="a3.md").reason == "no-fix"


def test_an_incident_name_field_names_it_and_a_plain_name_field_does_not():
    doc = (
        "## Serious Incident Review — Clinician sign-in failure\n\n| | |\n| --- | --- |\n| Reference | PIR-2024-029 |\n"
        "| Incident name | Clinician sign-in failure on shared workstations |\n"
        "| Name | Dana Okafor |\n\n## Root cause\n\nA conditional access policy blocked shared devices.\n\n"
        "## Resolution\n\nWe excluded the shared workstation group from the policy.\n"
    )
    assert parse(doc, source_id="pir.md").fields["incident_title"] == "Clinician sign-in failure on shared workstations"


def test_a_run_of_badges_over_a_timeline_is_no_story_to_take_a_cause_from():
    # An incident tool's export: its badges, then only a timeline table. Nothing tells a cause
    # in words, so nothing is stored as one.
    doc = (
        "Incident › INC-0977\n\n# Tile fetch errors in eu-central\n\nSEV-2 Resolved Duration 1h 52m\n\n"
        "## Timeline\n\n| 07:12 | alert; tile-edge 5xx ratio 6.3% |\n| --- | --- |\n"
        "| 08:03 | action; Set OSPF cost 65000 on the interconnect so traffic moved to link B. |\n"
    )
    assert parse(doc, source_id="inc-0977.html").reason == "no-root-cause"


def test_impact_detection_lessons_and_follow_ups_are_never_the_cause_or_fix():
    doc = (
        "# Queue backlog\n\n## Summary\nOrders waited in the queue for two hours.\n"
        "The backlog was caused by a consumer deploy that halved the worker count.\n\n"
        "### Detection\nWe noticed because someone looked at the queue dashboard, which was due to luck.\n\n"
        "## Impact\n- Orders were late because of the backlog.\n\n"
        "## Lessons learned\n- Alerts caused by lag should page; we fixed the routing.\n\n"
        "## Follow-up status\n- Worker count fixed in the chart (done).\n\n"
        "## Timeline\n- 10:00 backlog starts\n- 12:00 restored the worker count to 8\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.reason is None
    assert p.fields["root_cause"] == "The backlog was caused by a consumer deploy that halved the worker count."
    assert p.provenance["root_cause"] == "prose: summary"
    assert "restored the worker count" in p.fields["fix"] and p.provenance["fix"] == "timeline"
    for text in ("noticed", "late because", "routing", "chart"):
        assert text not in p.fields["root_cause"] + p.fields["fix"]


def test_provenance_names_front_matter_and_properties():
    doc = "---\ntitle: Disk full\ndate: 2025-01-02\nroot_cause: The log volume filled with debug logs.\n---\n## Fix\nDeleted the debug logs and lowered the log level.\n"
    p = parse(doc, source_id="x.md", meta={"services": ["log-shipper"]})
    assert p.fields["root_cause"] == "The log volume filled with debug logs."
    # Empty fields (no timeline, no action items) have no origin.
    assert p.provenance == {
        "incident_title": "front-matter: title", "date": "front-matter: date", "services_affected": "properties: services",
        "root_cause": "front-matter: root_cause", "fix": "heading: Fix",
    }


def test_contributing_factors_follow_the_trigger_named_in_the_summary():
    doc = (
        "# DNS outage\n\n## Summary\nPods could not resolve names for 20 minutes.\n"
        "The outage was caused by a CoreDNS upgrade that dropped the vendor's config patch.\n\n"
        "## Contributing factors\n- Vendor release notes differed from upstream ones.\n- No direct health check on CoreDNS.\n\n"
        "## Resolution\nRolled CoreDNS back to the previous version.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"].startswith("The outage was caused by a CoreDNS upgrade")
    assert "No direct health check on CoreDNS" in p.fields["root_cause"]
    assert p.provenance["root_cause"] == "prose: summary; heading: Contributing factors"


# Public cloud reviews: question headings (a PIR) and upper-case sections (an incident report).
CLOUD_PIR = """# Post Incident Review – Queue service errors in North Europe

## What happened?

Between 08:10 and 09:55 UTC customers in North Europe saw failed and delayed queue operations.

## What went wrong and why?

Queue front-ends hold a pool of connections to the partition servers. A new front-end build
changed how that pool is refreshed, and every refresh dropped the connections in use.

## How did we respond?

Alerts fired at 08:14 UTC and engineers were engaged. At 09:20 UTC we began rolling the
front-end fleet in North Europe back to the previous build, and errors stopped at 09:55 UTC.

## How are we making incidents like this less likely or less impactful?

- Adding connection churn to the rollout health checks.

## How can customers make incidents like this less impactful?

- Retry queue operations with backoff.
"""

CLOUD_REPORT = """# Incident Report: Managed cache unavailable

ISSUE SUMMARY
=============

For 52 minutes, new connections to managed cache instances in one region failed.

ROOT CAUSE
==========

The certificate that cache nodes present to the connection broker expired because its
renewal job had been disabled during a migration.

REMEDIATION AND PREVENTION
==========================

Engineers were paged at 10:03. They restored service by issuing a new certificate and
restarting the brokers. We will alert on certificates that expire within 30 days.
"""


def test_cloud_review_questions_and_report_sections_are_read():
    pir = parse(CLOUD_PIR, source_id="pir.md")
    assert pir.reason is None
    assert "new front-end build" in pir.fields["root_cause"]
    assert pir.provenance["root_cause"] == "heading: What went wrong and why?"
    # The response story is searched for the fix: the rollback, not the alert that opened it.
    assert pir.fields["fix"].startswith("At 09:20 UTC we began rolling")
    assert pir.provenance["fix"] == "heading: How did we respond?"
    assert pir.fields["action_items"] == ["Adding connection churn to the rollout health checks."]
    report = parse(CLOUD_REPORT, source_id="report.md")
    assert report.reason is None
    assert report.fields["root_cause"].startswith("The certificate that cache nodes present")
    assert report.fields["fix"].startswith("They restored service by issuing a new certificate")


def test_what_went_wrong_alone_is_lessons_not_the_cause():
    # A retrospective's "What went wrong" lists what could have gone better next to "What went right".
    doc = """# Launches failing

## Summary

Launches failed for an hour because a node pool upgrade cordoned every ingress node. We fixed it by uncordoning them.

## What went wrong

- It took an hour before anyone noticed.
"""
    p = parse(doc, source_id="x.md")
    assert "cordoned every ingress node" in p.fields["root_cause"]
    assert "noticed" not in p.fields["root_cause"]


def test_event_summary_without_headings_opens_on_its_first_timed_event():
    # A provider's event summary: one title, then prose; the trigger carries no cue word.
    doc = """# Summary of the Block Storage Event in the North Region

We want to give you more detail about the block storage disruption on 4 June.

At 10:12AM UTC, an operator ran a maintenance command meant for one test cluster against the
production placement service, which stopped accepting new volume attachments. Because many
services keep their state on block volumes, customers running databases in the region saw
write errors for about an hour. The underlying issue was that the command's target was not
checked against an allow list.

We restored service by restarting the placement service from its last good configuration.
"""
    p = parse(doc, source_id="event.md")
    assert p.reason is None
    assert p.fields["root_cause"].startswith("At 10:12AM UTC, an operator ran a maintenance command")
    assert "allow list" in p.fields["root_cause"]


def test_event_summary_keeps_its_trigger_symptoms_and_response_out_of_the_fix():
    # The symptom ("increased error rates") and the trigger ("began adding capacity") read like
    # fix words; "we confirmed the root cause, and ..." tells the response, not the cause.
    doc = """# Summary of the Message Queue Event in the East Region

We want to tell you more about the message queue disruption on 4 March.

Starting at 9:37 AM UTC, customers saw increased API error rates when sending messages.
Each front-end server builds a map of the partitions from what the other front-end servers tell it.

At 9:12 AM UTC, we began adding capacity to the front-end fleet as planned. The new servers caused every
front-end server to exceed the operating system's thread limit, so the partition maps were never finished.

At 1:05 PM UTC we confirmed the root cause, and we removed the new capacity. By 6:20 PM UTC all front-end
servers had been restarted and the service had fully recovered.
"""
    p = parse(doc, source_id="event.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("At 9:12 AM UTC, we began adding capacity")
    assert "confirmed the root cause" not in p.fields["root_cause"]
    fix = p.fields["fix"]
    assert "removed the new capacity" in fix and "fully recovered" in fix
    assert "error rates" not in fix and "began adding capacity" not in fix


def test_a_timed_fix_is_neither_the_trigger_nor_part_of_the_causes_story():
    # "At 10:36 we restarted ..." is the responders acting: the fix, timed like any event.
    doc = """# Checkout outage on 3 May

At 09:58 an alert fired for checkout latency. The payments database had run out of disk space because its
audit log table was never pruned. Checkout requests failed for about half an hour. At 10:36 we restarted the
database after deleting old audit logs, and checkout recovered.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The payments database had run out of disk space")
    assert p.fields["fix"].startswith("At 10:36 we restarted the database")
    certificate = """# Login failures

The identity provider's signing certificate had expired overnight. At 08:35 we installed a renewed certificate
and restarted the auth service.
"""
    p = parse(certificate, source_id="x.md")
    assert "restarted" not in p.fields["root_cause"]
    # A change the team made, timed, is still the trigger.
    shipped = doc.replace("At 09:58 an alert fired for checkout latency.", "At 09:40 we had shipped audit-writer 3.2, which replaced the log pruning job.")
    assert parse(shipped, source_id="x.md").fields["root_cause"].startswith("At 09:40 we had shipped audit-writer 3.2")


def test_a_machine_restarting_by_itself_is_no_fix_and_a_change_after_the_cause_is_no_trigger():
    told = """# Rack 4 power event

The servers in rack 4 lost power and restarted twice overnight, taking the build farm down. A failed breaker
in the rack's PDU was the cause. The facilities team moved the rack onto the standby PDU.
"""
    p = parse(told, source_id="x.md")
    assert p.fields["fix"] == "The facilities team moved the rack onto the standby PDU."
    summary = """# Rack 4 power event

## Summary

At 02:10 the servers in rack 4 lost power and restarted. The cause was a failed breaker in the rack's PDU.
Facilities moved the rack onto the standby PDU at 02:40, and the breaker was replaced the next day.
"""
    p = parse(summary, source_id="x.md")
    # "was replaced", told after the cause, is what was done: not the change that set it off.
    assert "standby" not in p.fields["root_cause"]
    assert p.fields["fix"].startswith("Facilities moved the rack onto the standby PDU")
    assert "lost power and restarted" not in p.fields["fix"]


def test_a_recovery_told_without_an_actor_brings_the_act_before_it():
    doc = """# Order history slowdown

No code or configuration had changed. Early that morning autovacuum refreshed the statistics on the orders
table, and with the new estimates the planner switched the order history query to a sequential scan.

The database team raised the statistics target for the merchant column and ran ANALYZE on the table by hand.
As a safeguard, they also created extended statistics on the merchant and date columns. Latency returned to
normal within minutes of the new statistics landing.
"""
    fix = parse(doc, source_id="x.md").fields["fix"]
    assert fix.startswith("The database team raised the statistics target"), fix
    assert fix.endswith("within minutes of the new statistics landing.")
    # "Service came back after the team ..." tells the fix by its effect; an attempt that did little is none.
    waiting_room = """# Checkout collapse during the on-sale

The on-sale drew four times the expected traffic, and the seat-hold service ran out of database connections.

On-call first added read replicas, which did little. Service came back after the team turned on the virtual
waiting room. With incoming traffic capped, the backlog cleared by 16:20.
"""
    fix = parse(waiting_room, source_id="x.md").fields["fix"]
    assert fix.startswith("Service came back after the team turned on the virtual waiting room."), fix
    assert "read replicas" not in fix


ISSUE_THREAD = """# Patient portal shows no free slots for Westmark clinics #644

**@dr-ifeoma** opened this issue on Oct 21, 2024

### What happened

Since this morning the booking portal shows "No slots available" for every Westmark clinic.

### Root cause (if known)

Maybe the nightly slot-generator job? Not confirmed.

### Timeline

- 07:00 first patient complaint

**@marcus-platform** commented on Oct 21, 2024

The slot-generator job ran at 02:00 and reports success, so the slots exist.

**@marcus-platform** commented on Oct 21, 2024

Found it: the booking window comes from a Terraform variable that PR #219 renamed, and the Westmark
file still sets the old name, so the module default of 0 days was applied.

**@marcus-platform** commented on Oct 21, 2024

We set the new variable to 28 days in the Westmark file and applied it at 11:20; slots are visible again. Closing.
"""


def test_an_issue_threads_comments_tell_the_cause_its_template_only_guessed():
    p = parse(ISSUE_THREAD, source_id="issue.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("Found it: the booking window comes from a Terraform variable")
    assert "slot-generator" not in p.fields["root_cause"]
    assert "applied it at 11:20" in p.fields["fix"]
    # A thread whose last comment leaves it open is unfinished, whatever was tried.
    still_open = ISSUE_THREAD.replace("slots are visible again. Closing.", "no change yet. Leaving this open.")
    assert parse(still_open, source_id="issue.md").reason == "draft"
    # One comment is no thread: the template's placeholder still marks a draft.
    body_only = ISSUE_THREAD.split("**@marcus-platform**")[0].replace("Maybe the nightly slot-generator job? Not confirmed.", "TBD")
    assert parse(body_only, source_id="issue.md").reason == "draft"


def test_a_terse_notes_labels_arrows_and_guesses():
    note = """# PM - route-planner timeouts 14 Feb

## what we saw
- first we think it is the new release of route-planner -> rollback at 08:05, no change
- maybe the db is just slow today?

## RC -
- finance export query on the primary db took a table lock, so all shipment updates waited behind it

## resolution ->
- 08:50 killed the export session, lock released, API normal 08:55
"""
    p = parse(note, source_id="pm.md")
    assert p.provenance["root_cause"] == "heading: RC -"
    assert p.provenance["fix"] == "heading: resolution ->"
    assert "08:50 killed the export session" in p.fields["fix"]
    # Without the sections, the guess asked as a question is no cause, the rollback that changed
    # nothing no fix.
    prose = """# route-planner timeouts

We bumped route-planner to 3.9 last week, maybe a regression in label matching because of it? The export
query took a table lock because the export tool locks by default. Rollback at 08:05, no change. At 08:50 we
killed the export session and the API recovered.
"""
    p = parse(prose, source_id="pm.md")
    assert p.fields["root_cause"].startswith("The export query took a table lock"), p.fields["root_cause"]
    assert "Rollback at 08:05" not in p.fields["fix"]


def test_a_timeline_entrys_weak_cue_does_not_outrank_the_summarys_story():
    doc = """# Ridership counted twice for Saturday

## Summary

On Sunday the clocks went back at 02:00, so 01:30 happened twice, and our scheduler started the ingestion
job at both of them. The second run saw an empty window and fell back to loading the last 24 hours again.

## Timeline

- At 06:00 the dashboards refreshed with the doubled day.
- At 09:30 the rows from the second load were deleted and the aggregates rebuilt.
"""
    cause = parse(doc, source_id="x.md").fields["root_cause"]
    assert cause.startswith("On Sunday the clocks went back at 02:00"), cause
    assert "were deleted" not in cause


RFO_LETTER = """**Pinecrest Managed Services — Reason for Outage**

Dear Customer,

**Root Cause**
At 19:00 our network team pushed an updated security policy template to all managed firewalls, and a
reordered rule blocked IKE and IPsec between your sites.

**Corrective Actions**
- At 20:12 we reverted the policy template to the previous version and re-pushed it to all firewalls.

**Preventive Measures**
- Template changes will now be applied to our lab firewalls and one pilot customer first.
"""


def test_a_reason_for_outage_letters_corrective_actions_beside_its_preventive_measures_are_the_fix():
    p = parse(RFO_LETTER, source_id="rfo.md")
    assert p.reason is None, p.detail
    assert "At 20:12 we reverted the policy template" in p.fields["fix"]
    assert p.provenance["fix"] == "label: Corrective Actions"
    assert p.fields["action_items"] == ["Template changes will now be applied to our lab firewalls and one pilot customer first."]
    # Alone, "Corrective Actions" lists the follow-ups.
    alone = RFO_LETTER.split("**Preventive Measures**")[0]
    assert parse(alone, source_id="rfo.md").provenance.get("fix") != "label: Corrective Actions"


def test_what_the_investigation_determined_is_the_cause():
    doc = """# Notice of Security Incident

## What happened

Between 8 and 10 May our security team saw an unusual number of sign-in attempts against the website.
After investigating, we determined that an unauthorised party had used passwords stolen in breaches at
other companies and tried them against our accounts.

## Resolution

We blocked the attacking networks, reset the passwords of every accessed account and signed them out.
"""
    cause = parse(doc, source_id="notice.md").fields["root_cause"]
    assert cause.startswith("After investigating, we determined that an unauthorised party"), cause


def test_what_a_release_introduced_is_the_cause_inside_the_resolution_notes():
    doc = """# Onboard Wi-Fi portal not connecting on iPhones

Priority: 3 - Moderate (raised to MI by Customer Experience)

## Resolution notes

Passengers on iPhones could open the portal but tapping Connect did nothing. The supplier had
deployed portal release 5.2.0 overnight. 5.2.0 introduced a JavaScript error in Safari on the
terms step. The supplier rolled the portal back to 5.1.4 across the fleet at 09:55.
"""
    cause = parse(doc, source_id="INC0050011.txt").fields["root_cause"]
    assert cause == "5.2.0 introduced a JavaScript error in Safari on the terms step.", cause


def test_a_summarys_first_timed_event_opens_the_cause_unless_a_sentence_names_it():
    story = """# Newsletter sends delayed

## What happened

At 16:05 UTC our email provider started returning HTTP 503 for most send requests. Failed batches went back on
the retry list, which filled the queue's memory because every retry held the whole payload.

## Resolution

We switched sending to the secondary provider and cleared the retry list.
"""
    cause = parse(story, source_id="x.md").fields["root_cause"]
    assert cause.startswith("At 16:05 UTC our email provider started returning HTTP 503")
    named = story.replace("because every retry held the whole payload.",
                          "because every retry held the whole payload. The root cause was a flood of bogus sign-ups.")
    named = named.replace("At 16:05 UTC our email provider started returning HTTP 503 for most send requests.",
                          "At 16:05 UTC the sign-up form began receiving a very large volume of requests.")
    cause = parse(named, source_id="x.md").fields["root_cause"]
    assert not cause.startswith("At 16:05"), cause


def test_a_response_told_as_steps_gives_every_step_after_the_diagnosis_as_the_fix():
    doc = """# Slow Git clones in the EU region

## What went wrong and why?

A customer's CI fleet cloned one large repository 40,000 times at once and filled the proxies' connection pools.

## How did we respond?

- **10:19 UTC:** Our error-rate alert fired and the on-call engineer began investigating.
- **10:41 UTC:** We identified that one repository accounted for most clone traffic.
- **10:58 UTC:** We enabled a concurrency limit of 200 clones for that repository at the proxy layer.
- **11:05 UTC:** Our support team contacted the customer, who paused their CI autoscaling.
- **11:20 UTC:** We added 40% more proxy capacity in the region.
- **11:52 UTC:** Error rates had returned to normal.
"""
    p = parse(doc, source_id="x.md")
    fix = p.fields["fix"]
    assert fix.startswith("10:58 UTC: We enabled a concurrency limit") and "paused their CI autoscaling" in fix
    assert "began investigating" not in fix and "returned to normal" in fix
    assert p.provenance["fix"] == "heading: How did we respond?"


def test_a_long_narratives_fix_is_what_people_did_not_what_the_system_did():
    background = " ".join(f"Storage room {n} holds forty racks on two power feeds." for n in range(1, 15))
    doc = f"""# Summary of the Compute event in the North-1 Region

We want to tell you more about the disruption in North-1 on 3 May.

At 14:41, a breaker serving two storage rooms tripped. The trip removed utility power from the A-side line-up.
Database clusters in one zone failed over to their standbys. {background} Instances lost their volumes.
The racks stayed dark for forty minutes. Customers saw errors across the zone.

At 15:20, engineers restored power to the racks by moving them to the B-side feed. At 15:44, the team moved the
cooling units to an alternate feed, and temperatures returned to normal. We also disabled re-mirroring at 16:05.

We apologize for the impact this event had on our customers.
"""
    p = parse(doc, source_id="event.md")
    assert p.reason is None, p.detail
    fix = p.fields["fix"]
    assert fix.startswith("At 15:20, engineers restored power to the racks"), fix
    assert "removed utility power" not in fix and "failed over" not in fix


def test_learning_review_story_headings():
    # A learning review told as a story: the trigger under "How we got here", the fix told in
    # the story ("decided to revert the change"), a fix that makes a rerun "a no-op" is still a fix.
    doc = """# Debrief: scanners could not reach the planner

## The story

At 06:10 the depot scanners started showing "route unavailable". The load balancer looked healthy.

## How we got here

The evening before, a Terraform change consolidated our security groups and dropped the rule that
let the gateway reach the planner.

## What made it hard

- Everything we looked at said healthy.

At 06:52 the reachability check said the path was blocked by a security group. We decided to revert
the whole Terraform change rather than re-add one rule. The follow-up makes a repeated apply a no-op.
"""
    p = parse(doc, source_id="debrief.md")
    assert p.reason is None, p.detail
    assert p.provenance["root_cause"] == "heading: How we got here"
    assert "dropped the rule" in p.fields["root_cause"]
    assert "revert the whole Terraform change" in p.fields["fix"]


def test_template_guidance_is_no_answer():
    doc = STORY + (
        "## Root cause\n\n_What was the underlying cause? Not the symptom. If unknown, say so._\n\n[TBD]\n\n"
        "## Resolution\n\n_What restored service? What removed the cause?_\n\n[TBD]\n"
    )
    # The questions a template asks the writer are not the writer's answers: the slots are
    # still open, which makes the write-up a draft.
    assert parse(doc, source_id="t.md").reason == "draft"


def test_upper_case_section_lines_are_headings():
    # An incident report pasted as plain lines: "ROOT CAUSE" between blank lines is a section title.
    doc = """# Incident Report: tokens not issued

ISSUE SUMMARY

For two hours, service accounts could not obtain access tokens.

ROOT CAUSE

A configuration push removed the signing key alias that the token service looks up.

REMEDIATION AND PREVENTION

Engineers restored the alias and restarted the token service at 05:50.
"""
    p = parse(doc, source_id="report.md")
    assert p.provenance["root_cause"] == "heading: ROOT CAUSE"
    assert p.fields["root_cause"].startswith("A configuration push removed")
    assert "restored the alias" in p.fields["fix"]


def test_a_services_column_lists_the_services():
    # "| Service | Effect |" is a header: the services are down its first column, and no
    # service is called "Effect".
    doc = STORY + (
        "| Service | Effect |\n|---|---|\n| checkout-api | 502s for 20 minutes |\n| cart-service | slow |\n\n"
        "## Root cause\nA config change lowered the pool to 4.\n\n## Resolution\nReverted the pool size change.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["services_affected"] == ["checkout-api", "cart-service"]
    assert p.provenance["services_affected"] == "table: Service"


def test_a_review_lists_the_products_it_affected():
    # A provider's review names what was affected in a list after its cue, product by product
    # in its impact section, or on its status line: those names are the services.
    doc = """# Connection failures for Lumen Managed Queue

**Status:** Resolved · **Affected components:** Publish API, Web console, Dead-letter export

## Detailed description of impact

**Lumen Managed Queue:** 40% of publish calls failed.

**Lumen Functions:** triggers on queues were delayed.

**Severity:** high

## What happened?

Between 03:02 and 05:10 UTC, publishing to queues failed. Impacted services included Lumen Event
Bridge and Lumen Workflows in the eu-1 Region.

## What went wrong and why?

A certificate on the queue front end expired because the rotation job had lost its permissions.

## How did we respond?

We issued a new certificate and restored the rotation job's permissions at 05:10.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    # The status line's "Affected components" field is the writer's own list.
    assert p.fields["services_affected"] == ["publish api", "web console", "dead-letter export"]
    assert p.provenance["services_affected"] == "label: Affected components"
    # Without it, the impact section's products and the list after the cue are the services.
    p = parse(doc.replace(" · **Affected components:** Publish API, Web console, Dead-letter export", ""), source_id="x.md")
    assert p.fields["services_affected"][:4] == ["lumen managed queue", "lumen functions", "lumen event bridge", "lumen workflows"]
    assert "severity" not in p.fields["services_affected"]
    assert p.provenance["services_affected"] == "prose: listed as affected"


def test_a_narrative_that_announces_its_explanation():
    # No cause wording anywhere: "EXPLAIN showed why." announces the cause, the sentences
    # after it tell it. The key/value table's "Title" row names the incident, and names with
    # underscores keep them.
    doc = """| Field | Value |
|---|---|
| Title | Search results empty for large shops |
| Severity | SEV-2 |

## Narrative

At 09:12 the search SLO alert fired and shop pages showed no results. Scaling the search-api
pods made no difference. `EXPLAIN` showed why. The nightly job had rewritten `shop_items` and the
sampled statistics made the planner skip the `(shop_id, visible)` index. Every search then
scanned the whole table.

## How we fixed it

- 09:58 raised the statistics target on `shop_items.shop_id` and re-ran ANALYZE; the index plan came back.
"""
    p = parse(doc, source_id="sev2.md")
    assert p.reason is None, p.detail
    assert p.fields["incident_title"] == "Search results empty for large shops"
    assert p.provenance["incident_title"] == "table: Title"
    assert p.fields["root_cause"].startswith("The nightly job had rewritten shop_items")
    assert "(shop_id, visible) index" in p.fields["root_cause"]


def test_rca_heading_and_a_flag_set_to_zero():
    doc = """# Bids rejected after a flag change

## RCA

The flag console change moved the new floor price model from 5% to 100% of traffic.

## Timeline

- 15:26 flag saved with rollout 100%.
- 15:58 flag set to 0%.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.provenance["root_cause"] == "heading: RCA"
    assert p.fields["fix"] == "15:58 flag set to 0%."


def test_power_switched_off_is_no_fix():
    from pipeline.ingest.parser import FIX_CUES

    assert not FIX_CUES.search("Utility power was to be switched off while the batteries carried the load.")
    assert FIX_CUES.search("The feature flag was switched off at 10:02.")
    assert FIX_CUES.search("The team deployed the prepared replacement chain to the load balancers at 00:49.")


def test_a_response_told_without_the_usual_fix_words():
    # A provider's response story: capacity reclaimed and hardware put into service, and the
    # symptom ending once it was; a timeline's "did a rolling restart".
    doc = """# Allocation failures in one region

## What happened?

Between 6 and 8 February some VM sizes could not be created in the region.

## What went wrong and why?

A hardware delivery slipped while demand grew, and the spare capacity buffer ran out.

## How did we respond?

We paused onboarding at 15:45. Overnight we reclaimed capacity held by internal build systems. The
delayed hardware was brought into service on 7 February. Allocation failures stopped at 09:15
on 8 February, once the new hardware had refilled the buffer.
"""
    p = parse(doc, source_id="pir.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("Overnight we reclaimed capacity held by internal build systems.")
    assert "once the new hardware had refilled the buffer" in p.fields["fix"]
    from pipeline.ingest.parser import FIX_CUES

    assert FIX_CUES.search("10:20 We loaded the new certificate into the secret and did a rolling restart.")
    assert not FIX_CUES.search("Errors started once the new release reached the second region.")


def test_a_sentence_that_rules_a_cause_out_is_not_the_cause():
    # "because it was never a capacity issue" has a cause cue, and says what the cause was not.
    doc = """# Queue timeouts

## Summary

Ranked queues stalled for an hour. Scaling the director did nothing because it was never a capacity
issue. A strict region-affinity flag had been switched on for every environment at 18:20, which led
to every mixed-region party being rejected.

## Resolution

We turned the flag off at 19:21.
"""
    p = parse(doc, source_id="q.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("A strict region-affinity flag had been switched on")
    assert "capacity" not in p.fields["root_cause"]


def test_issue_style_why_and_what_we_did_and_the_hard_parts():
    # A GitHub-issue report: "### Why" is the cause, "### What we did" the fix; "What made it
    # hard" explains the responders' detours (its "because" is no cause), though its story
    # can end on the fix; "So the root cause: ..." sums the cause up for the category.
    doc = """## Mirror serving an expired certificate

### What happened

Downloads failed with TLS errors from 03:11.

### Why

The box was migrated to a new OS release in November and the renewal timer was never enabled
after the restore. So the root cause: an expired certificate, because renewal stopped running.

### What made it hard

- We first looked at the CDN because the errors came through it.

### What we did

- 08:52 Ran the renewal by hand and reloaded nginx.
"""
    p = parse(doc, source_id="issue.md")
    assert p.reason is None, p.detail
    assert p.provenance["root_cause"] == "heading: Why"
    assert p.provenance["fix"] == "heading: What we did"
    assert "CDN" not in p.fields["root_cause"]
    assert Taxonomy.default().classify_incident(p.fields["incident_title"], p.fields["root_cause"], p.fields["fix"]) == "security"

    story = """# Scanners cannot reach the planner

## How we got here

A Terraform change consolidated the security groups and dropped the rule for the gateway subnet.

## What made it hard

- Every dashboard said healthy.

At 06:52 the reachability check showed the block. We reverted the Terraform change at 07:04.
"""
    p = parse(story, source_id="debrief.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"] == "We reverted the Terraform change at 07:04."
    assert p.provenance["fix"] == "heading: What made it hard"


def test_what_broke_is_the_cause():
    doc = STORY + "## What broke\n\nThe accelerator card in one HSM failed while it still passed the health probe.\n\n## Resolution\n\nRemoved the HSM from the group.\n"
    p = parse(doc, source_id="x.md")
    assert p.provenance["root_cause"] == "heading: What broke"


def test_an_apology_is_neither_cause_nor_fix():
    doc = """# Missing review comments

## Summary

Review comments written between 13:41 and 13:49 disappeared from pull requests. A replica that was
missing eight minutes of writes was promoted after the primary stalled, which caused the gap. We
restored the comments by replaying the missing transactions at 15:45.

We are sorry for the confusion this caused.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert "sorry" not in p.fields["root_cause"] + p.fields["fix"]


def test_affected_label_and_what_users_saw():
    doc = """# Flight search timeouts

**Affected:** flight-search-api, price-alert-worker

## What users saw

Searches timed out because the page could not load results.

## Root cause

The fare supplier's API slowed down and every worker thread waited on it.

## What fixed it

We lowered the supplier timeout to 2 seconds and restarted the pods.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["services_affected"] == ["flight-search-api", "price-alert-worker"]
    assert p.provenance["services_affected"] == "label: Affected"
    assert "could not load" not in p.fields["root_cause"]


def test_a_retold_summary_names_its_remedy_with_a_noun_or_a_purpose():
    # A collection of outage summaries (front matter, prose, no headings) tells the fix as
    # "Remediation involved ..." or "To mitigate the impact, ...", with none of the usual verbs.
    story = """---
title: Ferrowind checkout outage
company: Ferrowind
---

On May 2nd the Ferrowind checkout was down for forty minutes.

The outage was triggered by a disk array failure on the primary database host, after which the
cluster manager did not elect a new primary.

{remedy}
"""
    for remedy in (
        "Remediation involved engineers manually promoting the standby to primary and pointing the app at it.",
        "To mitigate the impact, the team shut the old host off and moved writes to the standby.",
        "Recovery required bringing the standby up by hand and moving writes to it.",
    ):
        p = parse(story.format(remedy=remedy), source_id="x.md")
        assert p.reason is None, (remedy, p.detail)
        assert p.fields["fix"] == remedy


def test_a_security_response_revokes_and_unpublishes():
    doc = """A maintainer's registry token leaked and an attacker published a poisoned release of the
parser package, which ran a script that read the user's credentials file.

Within two hours the poisoned release was unpublished and every token issued before the leak was revoked.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("Within two hours the poisoned release was unpublished")


def test_a_retelling_whose_cause_is_not_found_yet_is_a_draft():
    doc = """---
title: Lumora checkout errors in the EU
summary: Checkout failed for European shoppers; the cause is still being investigated.
---

For ninety minutes on a Saturday, Lumora shoppers in Europe could not pay. Lumora has not yet
identified what caused the payment gateway to reject the requests.

To mitigate the impact, the team moved European checkout traffic to the US gateway, and payments
recovered within ten minutes.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason == "draft", (p.reason, p.fields)


def test_a_short_summary_with_no_fix_is_not_stored():
    # The only fix words are the trigger's: "became unreachable after ... deleted" is the onset,
    # and the front matter's one-line summary sums up what went wrong.
    doc = """---
title: Orbit Notes sync unreachable
summary: A load balancer listener was removed during a cleanup of unused listeners.
---

Orbit Notes sync became unreachable after an engineer tidying the load balancer removed the
listener for port 443, taking it for a leftover from a test environment. Phones kept retrying
and showed a spinning sync icon all afternoon.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason == "no-fix", (p.reason, p.fields)


def test_a_newsletter_retelling_names_its_trigger_and_raises_limits():
    doc = """Outage digest: Pebblepost delivery stalls

On a Monday in June, Pebblepost's newsletters arrived hours late and the web archive timed out.

The trigger was a single send to nine million readers. The sender hosts opened a file per message
and ran through their open-file budget in minutes.

How they got out: the team raised the open-file limit on the sender hosts and capped the send rate
of the large newsletter so the others could get through.
"""
    p = parse(doc, source_id="x.txt")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The trigger was a single send")
    assert p.fields["fix"].startswith("How they got out: the team raised the open-file limit")


def test_notes_awaiting_a_write_up_and_an_unfinished_review_are_drafts():
    notes = """# Incident report: hub restarts (notes)

## Summary

The hub restarted four times overnight. Write-up to follow.

## Timeline

### 01:10

Hub pod restarted with exit code 1. Launches failed for a minute.

### 03:40

Restarted again; memory looks fine.
"""
    review = """# Elevated 5xx at the ingress

> This review is not yet complete. It will be updated when the investigation concludes.

- **Impact**: Between 09:40 and 11:50 up to 2% of requests failed.
- **Context**: We do not yet know the root cause. Controller logs show upstream timeouts.
- **Resolution**: Errors fell after one controller replica was restarted, and were back to baseline by 11:50.
"""
    for doc in (notes, review):
        p = parse(doc, source_id="x.md")
        assert p.reason == "draft", (p.reason, p.fields)


def test_a_bug_in_a_component_is_a_cause_and_a_limit_raised_is_a_fix():
    doc = """# Scheduler stuck, jobs queued

## Summary

From 22:00 the batch scheduler accepted jobs but never ran them, and the queue grew to 40,000 entries.
A bug in the scheduler's lease renewal compared timestamps in two time zones, so every worker's lease
looked expired and was dropped.

## Timeline

| Time | Event |
|------|-------|
| 22:00 | Queue starts growing |
| 23:10 | On-call finds leases being dropped |
| 23:40 | Worker memory limit raised to 8 GiB, pool scaled to 12 nodes |
| 23:55 | Queue drained |
| 00:05 | Alert resolves |
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert "A bug in the scheduler's lease renewal" in p.fields["root_cause"]
    assert "memory limit raised to 8 GiB" in p.fields["fix"]


def test_leaked_keys_with_words_between_are_security_not_a_leak():
    t = Taxonomy.default()
    assert t.classify_incident("CI halted by leaked deploy keys", "Access keys for the CI account were pushed to a "
                               "public repository and used to start cryptocurrency-mining instances.") == "security"
    assert t.classify_incident("Worker restarts", "The image resizer leaked memory on every request.") == "software-bug"


def test_a_bold_timeline_label_with_its_time_zone_over_a_table():
    # An office export: bold paragraphs for headings, the timeline a table under one, the fix
    # only in its rows.
    doc = """**Checkout errors in the Nordics**

**Summary**

Card payments from Nordic shops failed for an hour. The cause turned out to be a route flap between
our two edge routers, which kept withdrawing the payment gateway's prefix.

**Timeline (CET)**

| **Time** | **Event** |
| --- | --- |
| 14:02 | Payment error rate alert |
| 14:30 | Route flaps found on edge router er-2 |
| 14:51 | BGP session on er-2 shut down; traffic drained to er-1 |
| 15:02 | Error rate back to baseline |

**Follow-ups**

- Alert on BGP session flaps.
"""
    p = parse(doc, source_id="x.docx")
    assert p.reason is None, p.detail
    assert "traffic drained to er-1" in p.fields["fix"]
    assert p.provenance["timeline"] == "label: Timeline (CET)"


def test_a_retelling_that_names_its_trigger_goes_on_to_explain_it():
    doc = """Outage digest: Corliss Maps

For an hour on Tuesday, Corliss Maps could not show routes and the traffic layer stayed blank.

The trigger was a permissions clean-up. An engineer replaced the routing service's role policy with a
tighter one that no longer allowed reads from the tiles bucket. Every request then failed with access denied.

The team restored the previous policy and routes came back within minutes.
"""
    p = parse(doc, source_id="x.txt")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The trigger was a permissions clean-up. An engineer replaced")
    assert "no longer allowed reads from the tiles bucket" in p.fields["root_cause"]


def test_a_status_history_tells_its_cause_in_the_identified_update():
    doc = """# Uploads failing in us-east

Affected components: Uploads, Media API

**Resolved** - The replaced disk shelf finished rebuilding and uploads have completed normally since 14:10 UTC.
Jun 3, 14:40 UTC

**Identified** - We have identified the issue: a disk shelf behind the media store failed and the surviving
path returns write errors under load.
Jun 3, 12:55 UTC

**Investigating** - We are investigating failed uploads in us-east.
Jun 3, 12:20 UTC
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert "a disk shelf behind the media store failed" in p.fields["root_cause"]
    assert Taxonomy.default().classify_incident(p.fields["incident_title"], p.fields["root_cause"], p.fields["fix"]) == "hardware"


def test_a_status_history_still_investigating_its_cause_is_a_draft():
    doc = """# Exports delayed

Affected components: Exports

**Resolved** - Exports have run normally since 07:40 UTC and failed ones were re-queued. We are investigating
the cause and will share more if relevant.
Nov 9, 08:25 UTC

**Investigating** - We are looking into failed exports.
Nov 9, 06:58 UTC
"""
    p = parse(doc, source_id="x.md")
    assert p.reason == "draft", (p.reason, p.fields)


def test_a_pointer_to_read_on_is_no_part_of_the_cause():
    doc = """---
title: Wiki outage
---

After the primary database locked up it was restarted on the wrong volume, which took the wiki down for
six hours. See also the forum thread. Engineers restored the volume from last night's snapshot.
"""
    p = parse(doc, source_id="x.md")
    assert "See also" not in p.fields["root_cause"]


def test_a_one_line_root_cause_opens_the_cause_before_the_fault_story():
    doc = """# Invoice uploads failing

## Fault

The data volume reached 100% at 10:47 and PostgreSQL began refusing writes with "No space left on device".
To the app team it looked like a database crash.

## Root cause

Storage capacity exhausted by growth in invoice volume.

## Recovery

We grew the volume to 2 TB and restarted PostgreSQL.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"].startswith("Storage capacity exhausted by growth")
    assert p.provenance["root_cause"].startswith("heading: Root cause")
    f = p.fields
    assert Taxonomy.default().classify_incident(f["incident_title"], f["root_cause"], f["fix"]) == "capacity"


def test_a_suspicion_in_the_timeline_is_not_the_cause_and_a_primary_stepped_down_is_a_fix():
    doc = """Lessons API slow - 21 Aug

* 19:05 - Latency alert on lessons-api.
* 19:20 - The team assumes the morning's release is responsible, because it touched the progress query.
* 19:35 - Found that the new Mongo primary lacked the progress index, which was built only on the old primary.
* 19:50 - We stepped down the new primary so the old one took over again, then built the missing index on the secondaries.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert "assumes" not in p.fields["root_cause"]
    assert "stepped down the new primary" in p.fields["fix"]


@pytest.mark.parametrize(
    "doc",
    [
        # Front matter that keeps the page unpublished.
        "---\ntitle: Upload errors\npublished: false\n---\n\nUploads failed for an hour because the scanner queue backed up.\n"
        "We restarted the scanner workers.\n",
        # A review state.
        "# Webhook backlog\n\n**Status: In review**\n\n## Root cause\n\nA slow merchant endpoint blocked every worker.\n\n"
        "## Resolution\n\nWe capped the per-destination timeout.\n",
        # The answer after the label the writer repeated under its heading.
        "# VPN drops\n\n## Summary\n\nVPN sessions dropped all morning.\n\n## Root cause\n\nRoot cause: unclear, possibly "
        "network. We could not narrow it down.\n\n## Resolution\n\nResolution: none yet.\n",
        # Hypotheses only.
        "# Login 502s\n\n## Summary\n\nOne login in twenty failed for an hour.\n\n## Root cause analysis\n\nLeading hypothesis: "
        "pooled gateway connections to recycled pods.\n\n## Remediation\n\nWe restarted the gateway.\n",
        # The cause is known, the fix is not in place.
        "# Metrics gaps\n\n## Summary\n\nIngest dropped samples all day.\n\n## Root cause\n\nNew labels tripled the active series "
        "and the write-ahead log hit its limit.\n\n## What we have done\n\nWe dropped two debug labels.\n\n## What is left\n\n"
        "No fix has been deployed yet; new disks arrive next quarter.\n",
        # Theories the reviewers could not settle between.
        "# Slow reports\n\n## Summary\n\nReport queries took minutes all afternoon.\n\n## Root cause\n\nWe have not been able "
        "to agree on a single root cause. Theory A: the nightly reindex overran. Theory B: a tenant's new dashboard.\n\n"
        "## Resolution\n\nWe paused the reindex and latency recovered.\n",
        # Two things were done and the review cannot say which fixed it.
        "# Slow reports\n\n## Root cause\n\nThe nightly reindex overran into business hours and saturated the disks.\n\n"
        "## Resolution\n\nWe paused the reindex and restarted the query router. We do not yet know which of the two was "
        "the actual fix.\n",
        # Reopened by a later update.
        "# Search down\n\n## Root cause\n\nThe index outgrew the pods' memory limit.\n\n## Fix\n\nWe raised the limit to "
        "10 GiB.\n\n## Update, two days later\n\nThe fix did not hold: search failed again at the new limit, so the "
        "explanation above is probably wrong. We restart the pods every 12 hours while we look again.\n",
        # Still broken as it was written.
        "Exports failing for EU customers\n\nScheduled exports failed because writes to object storage timed out, after the "
        "bucket policy was changed. The on-call engineer re-queued the failed jobs. At the time of writing, exports are "
        "still failing for about half of the customers.\n",
    ],
)
def test_unfinished_write_ups_in_other_words_are_drafts(doc):
    p = parse(doc, source_id="x.md")
    assert p.reason == "draft", (p.reason, p.detail, p.fields)


def test_notes_summed_up_with_dash_labels_and_the_actual_cause():
    notes = """Bridge notes, payments latency

14:03 Alert: payments-api success rate 91%.
14:26 Lowered the local preference of carrier B routes; traffic shifts to carrier A.
14:31 Success rate back to 99.7%.

Summary for the record:
  Cause - packet loss on carrier B's transit path after a fibre cut in their network.
  Fix - moved the edge traffic to carrier A by lowering carrier B's route preference.
"""
    p = parse(notes, source_id="x.txt")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("packet loss on carrier B's transit path")
    assert p.provenance["fix"] == "label: Fix"
    review = """# Stock lookups timing out

## Investigation

The timeouts first looked like a DNS problem, which turned out to be a red herring. The actual cause was a
configuration change that set the inventory-service database pool to 5 connections instead of 80.

## Fix

We reverted the configuration change at 15:58.
"""
    p = parse(review, source_id="x.md")
    assert p.reason is None, p.detail
    assert "The actual cause was a configuration change" in p.fields["root_cause"]


def test_a_file_named_by_id_takes_its_title_from_the_product():
    doc = "---\nproduct: Acme Wiki\ncompany: Acme\n---\n\nThe wiki database filled its disk because of a runaway log table. We truncated the table and restored service.\n"
    p = parse(doc, source_id="data/3f2a9c1e-7b4d-4e0a-9c55-2d8e6f1a0b7c.md")
    assert p.fields["incident_title"] == "Acme Wiki incident"
    assert p.provenance["incident_title"] == "front-matter: product"


def test_a_retelling_without_cue_words_starts_its_story_after_the_impact():
    doc = """On May 4th, for about forty minutes, card payments at Tallow Bank were declined and the app could not
show balances.

Every service at Tallow finds its peers through two DNS resolvers behind one anycast address. That
morning the BGP sessions of one resolver host began flapping, withdrawing the route every few seconds.

Engineers shut down the BGP sessions on the flapping host, and lookups recovered at once.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("Every service at Tallow finds its peers")
    assert "declined" not in p.fields["root_cause"]


def test_a_blog_question_heading_names_the_cause_section():
    doc = """# What happened on June 2

## Some background

A planner service writes each day's pick lists to a queue; the warehouse app reads them.

## So what actually broke?

The planner's 4.0 release started writing item codes as strings, and the warehouse app's reader rejected every list.

## How we fixed it

We rolled the planner back to 3.9 and re-ran the nightly job.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The planner's 4.0 release started writing item codes as strings")
    assert p.provenance["root_cause"] == "heading: So what actually broke?"


def test_what_broke_beside_a_why_section_is_the_impact():
    doc = """# Chat outage

## What broke

At 20:14 text chat went down for everyone for twelve minutes.

## Why

Every gateway leaked memory: a disconnect with an invite pending never freed the invite's subscription.

## Fix

A hotfix frees the subscription on disconnect.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"].startswith("Every gateway leaked memory")
    assert p.provenance["root_cause"] == "heading: Why"
    alone = parse(doc.replace("## Why\n\n", ""), source_id="x.md")
    assert alone.fields["root_cause"].startswith("At 20:14 text chat went down")


def test_what_broke_labelled_under_impact_is_the_impact():
    doc = """# Package downloads returning 502s

## Impact

- **Duration:** 13:41 to 14:13 UTC.
- **What broke:** package downloads through six of our load balancer nodes. Publishing was not affected.

## What happened

The change moved the tarball pool onto a shared health-check template that checked the wrong path, so every backend was marked down.

## Resolution

Reverted the change on the affected nodes.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The change moved the tarball pool"), p.fields["root_cause"]
    assert p.provenance["root_cause"] != "label: What broke"


def test_what_went_wrong_is_the_cause_unless_it_sits_beside_what_went_well():
    story = """# Search outage, 3 May

## What we shipped

Search 9.1 went out in waves that morning.

## What went wrong

The new tokenizer kept a reference to every query it parsed, so memory was never freed and the search nodes were
killed one by one.

## How we responded

We rolled search back to 9.0 in every region and the nodes stayed up.
"""
    p = parse(story, source_id="x.md")
    assert p.fields["root_cause"].startswith("The new tokenizer kept a reference")
    assert p.provenance["root_cause"] == "heading: What went wrong"
    review = story.replace("## How we responded", "## What went well\n\nRollback was quick.\n\n## Resolution").replace(
        "## What went wrong\n\n", "## Root cause\n\nA memory leak in the new tokenizer released that morning.\n\n## What went wrong\n\n"
    )
    p = parse(review, source_id="x.md")
    assert p.fields["root_cause"] == "A memory leak in the new tokenizer released that morning."
    # A runbook's incident history writes the same as bold labels.
    bold = story.replace("## What went wrong", "**What went wrong**").replace("## How we responded", "**What fixed it**")
    p = parse(bold.replace("# Search outage, 3 May", "# Search runbook\n\n## Incident history\n\n### Search outage, 3 May"), source_id="x.md")
    assert p.fields["root_cause"].startswith("The new tokenizer kept a reference")
    assert p.provenance["root_cause"] == "label: What went wrong"


def test_a_technology_told_in_passing_gives_way_to_the_services_named_beside_it():
    doc = """# Orders failing on Monday

## Summary

orders-api returned errors for 25 minutes because its PostgreSQL primary ran out of connections after the
nightly report job opened hundreds of them. DNS and the load balancer were fine throughout.

## Resolution

We killed the report job's sessions and capped its pool at 20 connections.
"""
    services = parse(doc, source_id="x.md").fields["services_affected"]
    assert "orders-api" in services
    assert not {"postgresql", "dns", "load balancer"} & set(services)
    # What a service is written in names no service ("a small Python service we wrote").
    written = doc.replace("## Resolution", "The report job is a small Python service we wrote in 2019.\n\n## Resolution")
    assert "python" not in parse(written, source_id="x.md").fields["services_affected"]
    # Named alone, the technology is still where the service broke, not the service.
    alone = doc.replace("orders-api returned errors", "Orders returned errors")
    assert "postgresql" not in parse(alone, source_id="x.md").fields["services_affected"]


def test_a_technology_told_in_passing_gives_way_to_the_services_listed_as_affected():
    doc = """# Compute disruption in one zone

## Summary

We want to explain the disruption that affected Kestrel Compute and Kestrel Block Disks in one zone.
A breaker failed to transfer load to the generator, so two rooms lost power. The load balancer kept routing traffic and DNS
answered throughout.

## Resolution

Electricians bypassed the failed breaker and we brought storage servers back first.
"""
    services = parse(doc, source_id="x.md").fields["services_affected"]
    assert "kestrel compute" in services
    assert not {"dns", "load balancer"} & set(services)
    # Listed by the writer, the technology is one of the services affected.
    listed = doc.replace("Kestrel Compute and", "Kestrel Compute, DNS and")
    assert "dns" in parse(listed, source_id="x.md").fields["services_affected"]


def test_a_host_or_device_told_in_passing_is_no_service_affected():
    doc = """# Checkout timeouts on Tuesday

## Summary

Checkout and the `payments-api` timed out for 40 minutes. The interconnect router `dci-rtr-n1` dropped its
BGP session with `dci-rtr-s1` after a line card reset, so traffic took the long path through `gc-core-2`.

## Resolution

We reseated the line card and the session came back.
"""
    services = parse(doc, source_id="x.md").fields["services_affected"]
    assert "payments-api" in services
    assert not {"dci-rtr-n1", "dci-rtr-s1", "gc-core-2"} & set(services)
    # Listed by the writer, a host is one of the services affected.
    listed = doc.replace("## Summary\n", "## Summary\n\nAffected services: payments-api, mx-relay-01\n")
    assert "mx-relay-01" in parse(listed, source_id="x.md").fields["services_affected"]
    # A version is no host: `traefik-v2` is what the writer names.
    versioned = doc.replace("the `payments-api`", "the `traefik-v2` ingress")
    assert "traefik-v2" in parse(versioned, source_id="x.md").fields["services_affected"]


def test_a_providers_product_keeps_its_brand_and_a_word_of_the_sentence_does_not():
    doc = """# Edge outage for some customers

## Summary

Between 10:02 and 10:40 UTC requests through the Sablewire CDN failed for customers whose zones used custom
cache keys. A change to how Sablewire Workers build cache keys dropped the host header, so Sablewire edges
served one zone's objects for another. We also run a Shared Redis for rate limits, which was fine.

## Resolution

We rolled the cache-key change back and purged the affected objects.
"""
    services = parse(doc, source_id="x.md").fields["services_affected"]
    assert "sablewire cdn" in services and "cdn" not in services
    assert "shared redis" not in services
    # Opening a sentence, a brand the writer keeps using is still the brand.
    opening = doc.replace("requests through the Sablewire CDN failed", "requests failed.\nSablewire CDN errors rose")
    assert "sablewire cdn" in parse(opening, source_id="x.md").fields["services_affected"]


def test_a_listed_service_keeps_its_name_without_the_writers_aside():
    doc = """# Saves failing

**Services affected:** register a business, company search (slow), billing-api (EU only)

## Root cause

A clean-up job locked the applications table during business hours.

## Resolution

We stopped the job and moved it to 02:00.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["services_affected"] == ["register a business", "company search", "billing-api"]
    # A spaced slash between two names parts them, not one inside the writer's aside.
    slashed = doc.replace("billing-api (EU only)", "billing-api (EU / UK only) / Payment links")
    assert parse(slashed, source_id="x.md").fields["services_affected"] == ["register a business", "company search", "billing-api", "payment links"]
    # One item naming two tables is two names; a phrase with a comma in it stays one.
    tables = doc.replace("billing-api (EU only)", "billing-api (EU only)\n- `marts.attribution_daily`, `marts.channel_roas`")
    assert parse(tables, source_id="x.md").fields["services_affected"][-2:] == ["marts.attribution_daily", "marts.channel_roas"]
    # The list ends where its sentence does, even before a lower-case name.
    told = doc.replace("billing-api (EU only)", "billing-api. search-indexer was healthy the whole time")
    assert parse(told, source_id="x.md").fields["services_affected"] == ["register a business", "company search", "billing-api"]


def test_settings_columns_and_per_service_words_are_no_services():
    doc = """# Logins failing

## Root cause

The `auth-svc` pool hit `max_connections` on `profile_db` because the per-service limit was lowered in the
cross-service config, and rows with a null `expires_at` were retried forever.

## Resolution

We raised the limit and restarted auth-svc.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["services_affected"] == ["auth-svc", "profile_db"]
    # How something is bought is no service either.
    bought = doc.replace("retried forever.", "retried forever; in-app purchase revenue fell.")
    assert parse(bought, source_id="x.md").fields["services_affected"] == ["auth-svc", "profile_db"]


@pytest.mark.parametrize(
    "fix",
    [
        "The network team compared the rules with the backup, found the wrong prefix at 06:32 and corrected it at 06:40.",
        "Once the asymmetric route was spotted, the network team reset both tunnels and pinned the route to the primary.",
    ],
)
def test_a_fix_put_right_by_hand_is_a_fix(fix):
    doc = ("Outgoing payments were held as pending for five hours. A firewall rule change entered the scheme's range "
           "with the wrong prefix length, so half of its addresses were rejected.\n\n" + fix + "\n")
    p = parse(doc, source_id="x.txt")
    assert p.reason is None, p.detail
    assert p.fields["fix"] == fix


def test_a_connection_the_server_reset_is_no_fix():
    doc = ("Mail clients failed all morning because the mail certificate had expired. Some clients reported that the "
           "server had reset the connection.\n")
    assert parse(doc, source_id="x.txt").reason == "no-fix"


def test_italic_labels_in_a_changelog_entry_are_labels():
    doc = """# Registry changelog

## 2026.3.2

- **Publish tokens rejected on 1 March.** Every publish with a scoped token failed with 401 for thirteen hours.

  *Cause:* the expiry code added one to the year of a token created on 29 February, and the nightly job that
  precomputes expiry boundaries failed on those tokens and left the boundary at midnight.

  _Fix_: expiry is now a fixed 365 days; on the day we re-ran the boundary job without those tokens.
"""
    p = parse(doc, source_id="CHANGELOG.md")
    assert p.provenance["root_cause"] == "label: Cause"
    assert p.fields["root_cause"].startswith("the expiry code added one to the year")
    assert p.provenance["fix"] == "label: Fix"
    assert p.fields["fix"].startswith("expiry is now a fixed 365 days")


def test_a_narrative_cause_leaves_out_the_response_and_the_detection():
    """A blog told without cause headings: what the responders got wrong is about the response,
    and the first timed event may be how it was noticed, not the trigger."""
    doc = """# The day our cache handed out half a tarball

On 30 April some builds restored incomplete caches for two hours.

The sweeper deletes objects by last-access time, and reads update that time only after the download starts, so an object could be deleted while a job was still streaming it. That race had been in production for three years.

At 14:05 our own build failed the same way and the on-call took notice fast. We paused the sweepers at 15:48 and shipped a client hotfix that checks every restore's digest.

## What we got wrong in the response

We spent the first hour on the runner image because it was the most recent change.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    cause = p.fields["root_cause"]
    # Not opened by the first timed event, which tells how it was noticed.
    assert cause.startswith("The sweeper deletes objects by last-access time"), cause
    assert "runner image" not in cause


def test_prose_picks_are_each_told_once_and_the_fix_in_the_order_it_was_done():
    doc = """# Every service answered 404

## Summary

A malformed route manifest applied on Monday triggered a bug in the ingress controller, so no traffic was routed. Due to the nature of the bug it only showed once every controller pod had restarted on Saturday.

## Resolution

We reverted the manifest.
"""
    cause = parse(doc, source_id="x.md").fields["root_cause"]
    assert cause.count("Due to the nature of the bug") == 1, cause
    story = """# Checkout errors

## Summary

Checkout failed for an hour. The on-call first restarted the payment workers, which changed nothing. Then we rolled back the 4.2 release and errors stopped. The stuck jobs were purged the next morning.
"""
    fix = parse(story, source_id="y.md").fields["fix"]
    done = [fix.find(x) for x in ("rolled back the 4.2 release", "were purged")]
    assert -1 not in done and done == sorted(done), fix
    assert "restarted the payment workers" not in fix  # it changed nothing: an attempt, not the fix
    tried_first = story.replace(", which changed nothing", " to drain them")
    fix = parse(tried_first, source_id="y.md").fields["fix"]
    done = [fix.find(x) for x in ("restarted the payment workers", "rolled back the 4.2 release", "were purged")]
    assert -1 not in done and done == sorted(done), fix


def test_a_heading_written_as_a_link_is_read_by_its_text():
    # Wiki exports and tables of contents link section titles: "## [Root cause](#root-cause)".
    doc = ("# Relay outage\n\n## [1. Root cause](#root-cause)\n\nA relay certificate expired at midnight.\n\n"
           "## [Resolution](https://wiki.example/relay#resolution)\n\nWe renewed the certificate on every relay.\n")
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"] == "A relay certificate expired at midnight."
    assert p.fields["fix"] == "We renewed the certificate on every relay."
    assert p.provenance["root_cause"].startswith("heading: ") and p.provenance["fix"].startswith("heading: ")


def test_question_headings_of_a_players_post_and_a_faq_retro():
    post = """# Disconnects on Saturday: what happened

## What you saw

From 19:30 to 22:15 players in Europe were thrown out of matches.

## What actually happened

A reflection attack of 180 Gbit/s filled the links into our relay servers in two sites.

## What we've done

All relay ranges now sit behind always-on scrubbing and relay addresses were rotated.
"""
    p = parse(post, source_id="news.md")
    assert p.fields["root_cause"].startswith("A reflection attack")
    assert p.fields["fix"].startswith("All relay ranges now sit behind")
    assert p.provenance["fix"] == "heading: What we've done"
    faq = post.replace("## What we've done", "## How did we stop it?")
    assert parse(faq, source_id="faq.md").provenance["fix"] == "heading: How did we stop it?"


@pytest.mark.parametrize("heading, role", [
    ("Why the plan changed", "root_cause"), ("Why the queue backed up", "root_cause"), ("Why the database failed", "root_cause"),
    # Why the fix worked, why the responders were misled, a title that asks why: no cause section.
    ("Why the rollback worked", None), ("Why the symptoms misled us", "hindsight"), ("Why recipe downloads crawled for two days", None),
    ("Why were customers billed twice?", None),
])
def test_a_why_heading_names_the_cause_when_a_part_failed(heading, role):
    from pipeline.ingest.parser import classify_label

    assert classify_label(heading) == role


@pytest.mark.parametrize("heading, role", [
    # A narrative's turn to the explanation.
    ("So what was it?", "root_cause"), ("So, the cause", "root_cause"), ("The culprit", "root_cause"),
    # A form's row for the mechanism.
    ("What filled the disks", "root_cause"), ("What took the API down", "root_cause"),
    # What only looked like the cause, and the retrospective's other question.
    ("Why did memcached look guilty?", "hindsight"), ("Red herrings", "hindsight"),
    ("What didn't", "lessons"), ("What did not go well", "lessons"),
])
def test_a_narratives_own_names_for_the_cause_and_for_what_misled(heading, role):
    assert classify_label(heading) == role


@pytest.mark.parametrize("heading, role", [
    # What was done on the day, as a major incident report names it; what is still to do is not.
    ("Restoration Actions", "fix"), ("Recovery steps", "fix"), ("Mitigation actions", "fix"),
    ("Service restoration steps", "fix"), ("Corrective actions", "action_items"),
    ("How we got it back", "fix"), ("How we got things working again", "fix"),
])
def test_the_restoration_steps_are_the_fix(heading, role):
    assert classify_label(heading) == role


@pytest.mark.parametrize("heading, role", [
    # A formal report's part before the section's name, and an aside of several words after it.
    ("Section B. Root cause (as determined by the model owner)", "root_cause"), ("Part 2: Timeline", "timeline"),
    ("Annex A - Timeline", "timeline"), ("C. Immediate remediation", "fix"), ("IV. Resolution", "fix"),
    ("Fix. Rolled back", None),
    # A slide's part of a section told over several, and its title after a dash.
    ("Why (1/2) — the trigger", "root_cause"), ("Timeline [2/3]", "timeline"), ("Impact — what went wrong", None),
    # The document's kind and its name are a title, not a section.
    ("Root Cause Analysis — Barrier Analysis", None), ("RCA – Gradebook slow / save errors", None),
])
def test_a_reports_part_and_a_slides_part_leave_the_sections_name(heading, role):
    assert classify_label(heading) == role


def test_a_titles_leading_date_goes_whatever_dash_follows_it():
    doc = "# 2023-10-17 — Chargers offline: SIM provider core outage\n\n## Root cause\n\nThe SIM provider's core failed after an upgrade.\n\n## Resolution\n\nThe provider rolled the upgrade back.\n"
    assert parse(doc, source_id="pm.rst").fields["incident_title"] == "Chargers offline: SIM provider core outage"


def test_a_change_that_did_more_than_it_was_meant_to_is_the_cause():
    # A status page's updates: no cause word, but a change meant for one thing that did another.
    page = """# Elevated authorization declines

**Resolved** - This incident has been resolved. Success rates are normal since 15:58 UTC.

**Monitoring** - We have reverted a configuration change to our API edge rate limiting. The change
was intended to tighten a limit on the Refunds API, but the rule was scoped too broadly and also
matched the Authorizations endpoint.

**Investigating** - We are investigating elevated declines.
"""
    p = parse(page, source_id="status-history.html")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The change was intended to tighten a limit on the Refunds API, but the rule")


def test_a_fault_trees_initiating_event_and_a_replys_closing_label_name_the_cause():
    tree = (
        "# Loss of placement groups on ceph-prod-2\n\n## Discussion\n\n"
        "The tree has many branches because the first hours went on the software side.\n\n"
        "The initiating basic event is physical: breaker CB2 inside PDU-B failed open, and both hosts had both PSUs on it.\n\n"
        "## Restoration\n\nFacilities moved the hosts' A-side cords to PDU-A and powered them on.\n"
    )
    assert parse(tree, source_id="x.md").fields["root_cause"].startswith("The initiating basic event is physical")
    reply = (
        "# RE: checkout errors\n\nCorrection to the summary below: the lock waits were a symptom,\n"
        "not the cause. What actually happened:\n\n"
        "Our card acquirer had degraded authorisation latency, so every checkout held its row lock for 20 s.\n\n"
        "Thanks,\nHamish\n\n## Resolution\n\nWe switched payment routing to the backup acquirer.\n"
    )
    p = parse(reply, source_id="reply.md")
    assert p.fields["root_cause"].startswith("Our card acquirer had degraded authorisation latency")
    assert p.provenance["root_cause"] == "label: What actually happened"
    assert classify_label("Root cause determination") == "root_cause"
    # A form's yes/no question is no slot for the cause: under it, a story's cause is still found.
    assert classify_label("Root cause identified") is None


def test_a_cause_section_that_goes_on_to_the_fix_gives_it_as_the_fix():
    doc = """# Random compiler crashes on the arm CI lane

## What people saw

Pull requests failed the arm build at random with internal compiler errors for three days.

## So, the cause

A failing memory module in the donated runner ci-arm-07 was flipping bits during long builds.
Since the machine has no ECC, the only symptom was the crashes themselves.

The fix was to drain ci-arm-07 from the runner pool until the donor replaces the module.

## What didn't

- We reverted a perfectly good PR first.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"].startswith("A failing memory module") and "drain" not in p.fields["root_cause"]
    assert p.fields["fix"].startswith("The fix was to drain ci-arm-07")
    assert p.provenance["fix"] == "heading: So, the cause"
    effect = doc.replace("The fix was to drain ci-arm-07 from the runner pool", "Draining ci-arm-07 from the runner pool fixed it,")
    assert parse(effect, source_id="x.md").fields["fix"].startswith("Draining ci-arm-07")
    # A section of its own for the fix is the fix.
    own = doc.replace("## What didn't", "## Resolution\n\nWe drained the runner from the pool.\n\n## What didn't")
    assert parse(own, source_id="x.md").fields["fix"] == "We drained the runner from the pool."


def test_an_engineering_blogs_sections_by_their_own_names():
    doc = """# Elevated error rates on the Checkout API

## How our edge routing works

Every request reaches a proxy in the nearest PoP, which keeps connections open because opening one
per request would be slow.

## What happened

Between 10:12 and 10:58 a share of checkout calls failed with HTTP 502.

## A closer look

The proxy release 2.14 changed its upstream idle timeout to 120 seconds, longer than the API's own
60 seconds, so the proxy reused connections the API had already closed.

## How we restored checkout

At 10:49 we halted the rollout and rolled the proxy back to 2.13 in every PoP.
"""
    p = parse(doc, source_id="blog.md")
    assert p.fields["root_cause"].startswith("The proxy release 2.14 changed its upstream idle timeout")
    assert p.provenance["root_cause"] == "heading: A closer look"
    assert p.provenance["fix"] == "heading: How we restored checkout"
    # How the system works is the design, never the cause: without "A closer look" nothing
    # there is read as one.
    design_only = doc.replace("## A closer look\n\nThe proxy release 2.14 changed", "The proxy release 2.14 changed")
    assert "opening one per request" not in parse(design_only, source_id="blog.md").fields["root_cause"]
    for heading, role in [("Digging in", "root_cause"), ("What went wrong at our provider", "root_cause"),
                          ("Some background on our queueing layer", "system"),
                          ("What went wrong with Apply for a Household Support Grant", None)]:
        assert classify_label(heading) == role, heading


@pytest.mark.parametrize("fix_heading", ["What fixed it", "How service was restored", "Getting back to green", "How it got fixed",
                                         "Fixing it", "How we recovered"])
def test_more_fix_cause_and_follow_up_headings(fix_heading):
    doc = f"""# Queue meltdown

## What set it off

A marketing push doubled queue traffic and the matchmaking workers fell behind.

## {fix_heading}

We added twelve workers and raised the shard limit, and the backlog cleared by 21:40.

## What we're changing

- Autoscale the workers on open tickets per worker.
- Add jitter to client retries.
"""
    p = parse(doc, source_id="x.md")
    assert p.provenance["root_cause"] == "heading: What set it off"
    assert p.provenance["fix"] == f"heading: {fix_heading}"
    assert p.fields["action_items"] == ["Autoscale the workers on open tickets per worker.", "Add jitter to client retries."]


def test_a_learning_reviews_what_we_changed_is_the_fix():
    # A learning review tells the night as a story (what people tried, in order) and lists
    # what put it right under "What we changed": the story's first restart is no fix.
    doc = """# Learning review: stale search results

## The story of the morning

At 09:40 the on-call saw freshness alerts. She restarted the consumer group, which had worked
before. At 10:25 she noticed the indexer pods restarting and saw they were OOMKilled.

## What was going on

A merchant uploaded a 2.1M-row catalogue in one file and the indexer ran out of memory at its 2 GiB limit.

## What we changed

1. The catalogue team split the file into 50,000-row chunks and re-published them.
2. The indexer now streams documents in bounded batches.
"""
    p = parse(doc, source_id="lr.md")
    assert p.provenance["fix"] == "heading: What we changed"
    assert p.fields["fix"].startswith("1. The catalogue team split the file into 50,000-row chunks")


def test_a_forms_mandatory_marks_and_scorecard_name_no_fields():
    # A review form marks its mandatory sections "(*)", and rates each stage of the response
    # in a scorecard whose rows are named like fields ("Diagnosis", "Recovery").
    doc = """# Incident Review Checklist: statement batch abort

## Root cause (*)

A leap-year bug: the accrual step checked dates against a month-length table with February always 28 days.

## Resolution (*)

Ops re-ran the batch with the business-date override flag, and hotfix 7.4.2 replaced the table.

## Scoring grid

| Area | Score | Comment |
| --- | --- | --- |
| Diagnosis | 5 | Error message named the date |
| Recovery | 3/5 | Override needed a senior approver |
"""
    p = parse(doc, source_id="review.md")
    assert p.provenance["root_cause"] == "heading: Root cause (*)"
    assert p.fields["root_cause"].startswith("A leap-year bug")
    assert p.provenance["fix"] == "heading: Resolution (*)"
    assert p.fields["fix"].startswith("Ops re-ran the batch")
    assert table_labels("| Diagnosis | 5 | Error message named the date |") == []
    assert table_labels("| Recovery | Amber | Override needed a senior approver |") == []
    assert table_labels("| Recovery | Rolled back at 09:21 | Ops |")[0][1] == "fix"


def test_a_forms_angle_bracket_guidance_names_no_service():
    doc = """# Login errors

SERVICES HIT: <<list services, use the names from the service catalogue>>
account-auth, launcher login

## Root cause

A certificate rotation left the old intermediate on the auth proxies.

## Resolution

We redeployed the proxies with the new chain.
"""
    p = parse(doc, source_id="form.md")
    assert p.fields["services_affected"] == ["account-auth", "launcher login"]


def test_a_table_of_incidents_header_names_columns_not_fields():
    # A monthly review lists the month's incidents in a table; its header row's "Title" column
    # is no form's title beside its value ("Sev").
    doc = """# Platform monthly: March

| Ref | Date | Title | Sev |
| --- | --- | --- | --- |
| OD-INC-301 | 29 Feb | Annual renewals batch aborted on leap day | 2 |
| OD-INC-304 | 12 Mar | Grafana dashboards blank after upgrade | 4 |

## OD-INC-301: renewals batch aborted on 29 February

### Root cause

The batch computed the renewal date with a 365-day year, and 29 February raised an error.

### Resolution

We re-ran the batch with the date override and fixed the calculation in 7.4.2.
"""
    p = parse(doc, source_id="monthly.md")
    assert p.fields["incident_title"] != "Sev"
    assert "renewals batch aborted" in p.fields["incident_title"]
    # A form laid out in pairs still reads its first row's fields.
    form = """# Incident report

| Severity | SEV-2 | Status | Closed |
| --- | --- | --- | --- |
| Date | 2024-04-09 | Title | Route planner timing out |

Root cause: a new index build saturated the orders database.

Resolution: we cancelled the index build.
"""
    assert parse(form, source_id="form.md").fields["incident_title"] == "Route planner timing out"


def test_a_flag_set_back_to_zero_is_the_fix():
    doc = """# Card declines

## Summary

At 10:03 the rollout flag for the new fraud rules was set to 100% instead of 5%, and 31% of card payments were declined.

## Timeline

| Time | Event |
|---|---|
| 10:03 | Bulk flag edit submitted |
| 10:49 | On-call sets `risk.velocity_v2.rollout` back to 0 |
| 10:51 | Decline rate back to 4% |
"""
    p = parse(doc, source_id="x.md")
    assert "sets risk.velocity_v2.rollout back to 0" in p.fields["fix"], p.fields["fix"]


def test_listed_services_keep_the_name_not_its_description():
    doc = """# Transcoding stalled

## Services involved

- **video-transcoder** — worker fleet that converts uploads into streaming renditions
- **media storage** — object storage bucket for source and rendered video, reached through a private endpoint
- RIS worklist (partially — only the overnight list)
- upload-api: accepts uploads and enqueues transcoding jobs

## Root cause

An infrastructure change removed the network rule that let the transcoder reach the media bucket.

## Resolution

We restored the network rule and replayed the queued transcoding jobs.
"""
    p = parse(doc, source_id="x.md")
    assert p.fields["services_affected"] == ["video-transcoder", "media storage", "ris worklist", "upload-api"]
    ticket = "Title: Forged scores\nSystems: leaderboard service, score submission api\nCreated: 2026-08-11 07:40 UTC\n\n" + "## Root cause" + doc.split("## Root cause")[1]
    assert parse(ticket, source_id="t.txt").fields["services_affected"] == ["leaderboard service", "score submission api"]


@pytest.mark.parametrize("fix", [
    "The on-call engineer issued a new certificate and reloaded the TLS terminators one host at a time.",
    "The team brought logins back by enabling per-IP rate limits and a CAPTCHA on the login endpoint.",
])
def test_a_summary_told_fix_without_a_fix_heading(fix):
    doc = f"""---
title: Mail clients could not connect
summary: An expired TLS certificate on the mail endpoints broke connections.
---

Just after midnight mail clients started failing. This happened because the TLS certificate on the mail frontends expired at midnight.

{fix}
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith(fix[:30])


def test_the_incident_date_is_the_first_one_written_in_digits_or_words():
    """The summary's "On 14 May 2024" is the day of the outage; the timeline's first row is a
    warning logged two days before. A date only written in words is still a date."""
    doc = """# Storage node failure

## Summary

On 14 May 2024 a disk controller on st-04 failed and uploads stopped for 20 minutes. It was caused
by a failed controller battery.

We restored service by failing over to st-05.

## Timeline

| Time | Event |
| --- | --- |
| 2024-05-12 | Controller logs a battery warning |
| 2024-05-14 09:02 | Uploads fail |
"""
    parsed = parse(doc)
    assert (parsed.fields["date"], parsed.provenance["date"]) == ("2024-05-14", "prose")
    words_only = doc.replace("On 14 May 2024", "On May 3rd, 2023").split("## Timeline")[0]
    assert parse(words_only).fields["date"] == "2023-05-03"
    assert parse(words_only.replace("May 3rd, 2023", "30 February 2023")).fields["date"] == ""


LETTERHEAD_RCA = """TERNWAY CLOUD
Root Cause Analysis

{name_line}
Incident ID:     TW-2025-0310
Status:          Final

1. Summary

On 10 March object uploads in the north region failed for 40 minutes.

2. Cause

A configuration push set the upload gateway's body limit to zero bytes.

3. Resolution

We reverted the configuration push and uploads recovered at 10:42.
"""


@pytest.mark.parametrize(
    "name_line, origin",
    [("Object upload failures in the north region", "letterhead: line below"),
     ("INCIDENT:        OBJECT UPLOAD FAILURES", "letterhead: incident line")],
    ids=["line-below", "incident-line"],
)
def test_a_reports_letterhead_is_not_the_incidents_title(name_line, origin):
    from pipeline.ingest.formats import to_markdown

    text, _, _ = to_markdown(LETTERHEAD_RCA.format(name_line=name_line).encode(), "rca.txt")
    parsed = parse(text, source_id="rca.txt")
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["incident_title"] == name_line.split(":")[-1].strip()
    assert parsed.provenance["incident_title"] == origin


@pytest.mark.parametrize("kind", ["Problem Closure Report", "Failure Report", "Incident Closure Report"])
def test_a_closure_or_failure_report_is_the_documents_kind_over_its_incidents_name(kind):
    doc = f"""# {kind}

Customer emails rejected by recipient mail servers

| Problem number | PRB0041209 | State | Closed |
| --- | --- | --- | --- |

## Root cause

A DNS refactor dropped the sending domain's SPF include for the mail provider.

## Resolution

We restored the SPF include and re-sent the rejected emails.
"""
    p = parse(doc, source_id="PRB0041209.docx")
    assert p.fields["incident_title"] == "Customer emails rejected by recipient mail servers"
    assert p.provenance["incident_title"] == "letterhead: line below"


def test_a_systems_name_over_the_notes_kind_gives_way_to_the_incident_line_below():
    doc = """# Conformance Lab cluster -- incident notes

Incident: pods stuck in ContainerCreating during release week
When: Thursday 2024-04-18

## What happened

The node pool's subnet ran out of addresses, so the network plugin could not give pods an IP.

## Fix

We shrank the per-node warm IP pool and added a second subnet to the node group.
"""
    parsed = parse(doc, source_id="notes.txt")
    assert parsed.fields["incident_title"] == "pods stuck in ContainerCreating during release week"
    # Without a line naming the incident, the heading is the incident's own name.
    own = parse(doc.replace("Incident: pods stuck in ContainerCreating during release week\n", ""), source_id="notes.txt")
    assert own.fields["incident_title"] == "Conformance Lab cluster -- incident notes"


def test_a_title_heading_that_names_the_incident_stays():
    parsed = parse("# Checkout down after the cache deploy\n\nIncident report.\n\n## Root cause\n\nA bad cache "
                   "config was deployed.\n\n## Resolution\n\nWe rolled the cache config back at 10:40 and checkout recovered.\n", source_id="x.md")
    assert parsed.fields["incident_title"] == "Checkout down after the cache deploy"


SECTION_FIRST = """ISSUE SUMMARY

On Tuesday, virtual machines in one zone lost a share of their outbound packets for two hours.

ROOT CAUSE

A defect in a new release of the route agent withdrew routes when it received an oversized update.

REMEDIATION AND PREVENTION

Engineers re-announced the withdrawn routes by hand, which restored connectivity, and rolled the agent back.
"""


@pytest.mark.parametrize("body, name", [(SECTION_FIRST, "zone-b-packet-loss.txt"),
                                        ("# Summary\n\n" + SECTION_FIRST.split("\n", 1)[1], "zone-b-packet-loss.md")],
                         ids=["plain text", "markdown"])
def test_a_first_heading_that_names_a_section_is_not_the_title(body, name):
    text, _, _ = to_markdown(body.encode(), name)
    parsed = parse(text, source_id=name)
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["incident_title"] == "zone-b-packet-loss"
    assert parsed.provenance["incident_title"] == "file name"


def test_a_memos_bold_opening_words_are_its_title():
    doc = ("**Invoice export incident, Thursday 4 May 2031.** Written up by the billing team.\n\n"
           "Invoice exports failed for two hours because a schema migration dropped the customer index.\n\n"
           "We restored the index and re-ran the exports.\n")
    parsed = parse(doc, source_id="notes.md")
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["incident_title"] == "Invoice export incident, Thursday 4 May 2031"
    assert parsed.provenance["incident_title"] == "bold lead"
    # A bold label is no title.
    labelled = parse("**Root cause.** A schema migration dropped the customer index in the billing database.\n\n"
                     "**Fix.** We restored the index and re-ran all exports.\n", source_id="notes.md")
    assert labelled.fields["incident_title"] == "notes"


NUMBERED_REPORT = """# Registry authentication failures

## 2. Services affected

  2.1 Package Registry (npm and container endpoints) -
      authenticated operations with new tokens.
  2.2 CI pipelines that request a registry token via the
      built-in variable.

Not affected: Git operations, the web application.

## 5. Cause

A date bug in the token service rejected tokens created on 29 February.

## 6. Resolution

The patched token service was deployed to all regions and tokens were re-issued.

## 7. Follow-up actions

  7.1 Add a test for leap-day expiries to the token service so that a
      wrong date fails the build.      [Done]
  7.2 Alert on the share of rejected tokens.
"""


def test_a_numbered_reports_items_are_list_items_and_what_was_not_affected_is_no_service():
    parsed = parse(NUMBERED_REPORT, source_id="rca.md")
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["services_affected"] == ["package registry", "ci pipelines"]
    # A hard-wrapped item keeps its next line.
    assert parsed.fields["action_items"] == [
        "Add a test for leap-day expiries to the token service so that a wrong date fails the build. [Done]",
        "Alert on the share of rejected tokens.",
    ]


def test_an_affected_line_keeps_its_asides_and_drops_what_it_rules_out():
    doc = """# Bookings slow

**Services affected:** booking-api, my-trips-web, and the bookings MySQL cluster (primary, three read replicas), bin ordering. The main website was on another cluster and was not affected.

## Root cause

A long report query held locks on the bookings table and the replicas fell behind.

## Resolution

We killed the query and the replicas caught up by 10:40.
"""
    parsed = parse(doc, source_id="x.md")
    assert parsed.fields["services_affected"] == ["booking-api", "my-trips-web", "bookings mysql cluster", "bin ordering"]


TITLED_BY_STORY = """{first}

Between 19:05 and 20:30 the lessons API was slow and returned 502s. The database elected a new primary after a long checkpoint, and the new primary lacked an index, so the hot query scanned the whole collection.

We stepped the new primary down at 19:50 and built the missing index on the secondaries. Latency was normal from 20:30.
"""


@pytest.mark.parametrize(
    "first, title, origin",
    [("**Lessons API slow / 502s — 21 Aug 2026**", "Lessons API slow / 502s — 21 Aug 2026", "first line"),
     ("## Lessons API slow after a failover", "Lessons API slow after a failover", "heading: first"),
     ("Subject: [Eng] Incident report: lessons API slow, 21 August", "lessons API slow, 21 August", "subject line")],
    ids=["first-line", "first-heading", "subject-line"],
)
def test_a_document_without_a_title_heading_is_named_by_its_opening_line(first, title, origin):
    parsed = parse(TITLED_BY_STORY.format(first=first), source_id="incidents-2026-08-21.md")
    assert parsed.reason is None, parsed.detail
    assert (parsed.fields["incident_title"], parsed.provenance["incident_title"]) == (title, origin)
    # The title line is no part of the story the cause is taken from.
    assert "Lessons API slow" not in parsed.fields["root_cause"]
    assert "elected a new primary" in parsed.fields["root_cause"]


def test_an_opening_line_above_a_title_heading_is_not_the_title():
    doc = TITLED_BY_STORY.format(first="Quillpay Status\n\n# Lessons API slow after a failover")
    assert parse(doc, source_id="x.md").fields["incident_title"] == "Lessons API slow after a failover"


def test_toml_front_matter_is_read():
    doc = '+++\ntitle = "Why your functions ran out of memory"\ndate = 2026-10-22T09:00:00Z\n+++\n\n' + TITLED_BY_STORY.format(first="")
    parsed = parse(doc, source_id="blog.md")
    assert parsed.fields["incident_title"] == "Why your functions ran out of memory"
    assert parsed.fields["date"] == "2026-10-22"
    assert parse("+++\ntitle = 'x'\n", source_id="blog.md").reason == "bad-front-matter"


def test_a_rule_at_the_top_that_never_closes_is_no_front_matter():
    doc = ("---\n\n# Cart errors\n\n## Root cause\nA bad cache key shipped in the 2.4 release.\n\n## Resolution\n"
           "We rolled the cart service back to 2.3 and cleared the cache.\n")
    parsed = parse(doc, source_id="cart.md")
    assert parsed.reason is None and parsed.fields["incident_title"] == "Cart errors"


@pytest.mark.parametrize(
    "heading, title",
    [("Post-incident review: card payments failing", "card payments failing"),
     ("PIR-0412: Packet loss to device APIs", "PIR-0412: Packet loss to device APIs"),
     ("Fernwave incident report: 502s across European PoPs", "502s across European PoPs")],
)
def test_a_titles_document_kind_is_not_part_of_the_incidents_name(heading, title):
    assert parse(f"# {heading}\n\n" + TITLED_BY_STORY.format(first=""), source_id="x.md").fields["incident_title"] == title


def test_a_section_named_the_bug_is_the_cause_and_an_unaffected_item_is_no_service():
    doc = """# Titles fail to play

## Services affected

- drm-license-service
- /home and /projects were not affected

## The bug

Two writers swapped the key cache map without a lock, so a stale map overwrote a fresh one.

## What actually fixed it

We disabled the lazy-load path and restarted the licence pods.
"""
    parsed = parse(doc, source_id="x.md")
    assert parsed.provenance["root_cause"] == "heading: The bug"
    assert parsed.provenance["fix"] == "heading: What actually fixed it"
    assert parsed.fields["services_affected"] == ["drm-license-service"]


@pytest.mark.parametrize(
    "first, title",
    [("## [OPS-2291] Matchmaking queues stalled during launch weekend", "[OPS-2291] Matchmaking queues stalled during launch weekend"),
     ("EdgeSpan incident report: wrong content served for query-string URLs", "wrong content served for query-string URLs")],
)
def test_a_ticket_key_or_a_report_label_opens_a_title(first, title):
    assert parse(TITLED_BY_STORY.format(first=first), source_id="x.md").fields["incident_title"] == title


def test_a_records_particulars_are_not_its_title():
    doc = TITLED_BY_STORY.format(first="Project: Live Operations")
    assert parse(doc, source_id="ops-2291.md").provenance["incident_title"] == "file name"


def test_a_pages_running_header_is_not_the_title_and_a_wrapped_title_is_joined():
    doc = """# Tidewell Health Confidential - Internal

Post-mortem: Patients received repeated appointment
## reminder texts

Incident: INC-21077, SEV1

## Root cause

The reminder worker ran twice in the hour the clocks went back, so every reminder was sent again.

## Resolution

We deduplicated the queue and deployed a fix that keys reminders by UTC time.
"""
    parsed = parse(doc, source_id="x.pdf")
    assert parsed.fields["incident_title"] == "Patients received repeated appointment reminder texts"
    assert parsed.provenance["incident_title"] == "letterhead: line below"


REPORT_BODY = """
1. Summary

Members could not renew policies online for two hours on Tuesday morning.

2. Root cause

A firewall change removed the rule that let the renewal service reach the rating engine.

3. Resolution

The rule was restored from the pre-change backup and renewals recovered at 11:05.
"""


@pytest.mark.parametrize(
    "name, head, title, origin",
    [
        # The organization alone as the H1, the incident after the report's kind below it.
        ("renewals.md", "# HOLLOWAY MUTUAL\n## Major Incident Report: Online renewals failing\n",
         "Online renewals failing", "letterhead: line below"),
        # "Organization: kind" as the title, the incident as the subtitle.
        ("renewals.rst", "Holloway Mutual: Post Incident Review\n=====================================\n\n"
         "Online renewals failing\n-----------------------\n", "Online renewals failing", "letterhead: line below"),
        # A plain-text letterhead of several lines over an underline, and a record that names
        # only an id and a service: the service, never the letterhead or the file name.
        ("renewals.txt", "HOLLOWAY MUTUAL - DIGITAL CHANNELS\nSERIOUS INCIDENT REPORT\n========================\n\n"
         "Incident ref   : HM-INC-2291\nService        : Online policy renewals\nStatus         : Closed\n",
         "Online policy renewals", "letterhead: service line"),
        # The report's kind with its reference as the H1, the incident in bold below it.
        ("renewals.md", "# Major Incident Report MIR-2031-017\n\n**Online renewals failing, 22 May 2031**\n",
         "Online renewals failing, 22 May 2031", "letterhead: line below"),
    ],
    ids=["org-over-kind-prefix", "org-colon-kind", "service-line", "kind-and-reference"],
)
def test_a_letterhead_names_the_organization_and_the_report_names_the_incident(name, head, title, origin):
    # Each format's headings: "## 1. Summary", an underlined "1. Summary", a numbered line.
    heading = {"md": lambda line: f"## {line}", "rst": lambda line: f"{line}\n{'=' * len(line)}", "txt": lambda line: line}
    body = "\n".join(heading[name.rsplit(".", 1)[1]](line) if line[:2] in ("1.", "2.", "3.") else line for line in REPORT_BODY.split("\n"))
    text, _, _ = to_markdown((head + body).encode(), name)
    parsed = parse(text, source_id=name)
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["incident_title"] == title
    assert parsed.provenance["incident_title"] == origin


def test_a_table_row_under_a_letterhead_is_no_title():
    html = """<html><body><h1>Holloway Mutual: Digital Channels<br>Major Incident Report</h1>
<table><tr><td><b>Incident number</b></td><td>HM-2291</td></tr>
<tr><td><b>Service</b></td><td>Online policy renewals</td></tr></table>
<h2>Root cause</h2><p>A firewall change removed the rule that let renewals reach the rating engine.</p>
<h2>Resolution</h2><p>The rule was restored from the pre-change backup and renewals recovered.</p>
</body></html>"""
    text, _, _ = to_markdown(html.encode(), "renewals.html")
    parsed = parse(text, source_id="renewals.html")
    assert parsed.fields["incident_title"] == "Online policy renewals"


def test_no_action_needed_by_someone_else_is_still_a_fix():
    doc = """# Streaming Platform: Post Incident Review: Live playback failing on set-top boxes

## Root cause

A manifest service release stopped encoding the licence token, which older boxes rejected.

## Resolution and recovery

The manifest service was rolled back at 20:38 and the manifest cache was purged. No action was
needed on viewers' boxes: they retried on their own.
"""
    parsed = parse(doc, source_id="pir.md")
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["fix"].startswith("The manifest service was rolled back")
    # An organization's name before the document's kind goes with it.
    assert parsed.fields["incident_title"] == "Live playback failing on set-top boxes"
    # Nothing done on our side is no fix of ours; beside what was done (a provider's rollback),
    # it is a fix all the same.
    ours = doc.replace("on viewers' boxes", "on our side")
    assert parse(ours, source_id="pir.md").reason is None
    nothing = ours.replace("The manifest service was rolled back at 20:38 and the manifest cache was purged. ", "")
    assert parse(nothing, source_id="pir.md").reason == "no-fix"


def test_a_hedge_inside_quoted_words_is_no_guess_at_the_fix():
    doc = """# Stale balances in the apps

## 3. CAUSE

An anti-wraparound vacuum flooded the replica with WAL and its replay fell 14 minutes behind.

## 4. WHAT FIXED IT

18:31  Core Ledger pointed the summary reads at the primary (toggle bff.read_from_primary).
18:40  in-app banner: "Recent transactions may have shown late. Please check before sending again."
"""
    p = parse(doc, source_id="incident.txt")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("18:31  Core Ledger pointed the summary reads at the primary")
    # The writer's own guess is still one: a resolution that only suspects says nothing of the fix.
    guess = doc.replace('in-app banner: "Recent transactions may have shown late. Please check before sending again."', "the replica may have caught up by itself")
    assert parse(guess.replace("18:31  Core Ledger pointed the summary reads at the primary (toggle bff.read_from_primary).\n", ""), source_id="incident.txt").reason == "no-fix"


def test_a_labels_qualifier_in_brackets_keeps_its_role():
    doc = """# Report queue backlog

## Wrap-up

**Root cause (incident lead's summary):** The report workers ran out of memory under the evening's load.

**What fixed it:** Raising worker memory and adding a separate pool for very large reports.

## Action items (still open)

- Alert on worker OOM kills
"""
    parsed = parse(doc, source_id="backlog.md")
    assert parsed.fields["root_cause"] == "The report workers ran out of memory under the evening's load."
    assert parsed.provenance["root_cause"].startswith("label: Root cause")
    assert parsed.fields["action_items"] == ["Alert on worker OOM kills"]


def test_a_status_section_that_has_no_confirmed_cause_marks_a_draft():
    doc = """# Upload stalls from Asia (notes)

## What happened

Uploads from Asia stalled at 70% for two hours. Then they went back to normal speed.

## What we looked at

- Our load balancers were healthy; a packet capture showed retransmits on one transit path.

## Status

Self-resolved at 11:58 UTC. **Cause not confirmed.**
"""
    parsed = parse(doc, source_id="notes.md")
    assert parsed.reason == "draft"
    assert "Cause not confirmed" in parsed.detail


def test_a_table_inside_the_cause_section_stays_in_its_order():
    doc = """# Card payments failing

## Root cause

| | |
|---|---|
| Trigger | A firewall change replaced the payment processor rule with a stale address group |
| Why it was missed | The post-change checks made no test payment |

The change itself was meant to narrow outbound access.

## Resolution

The firewall rule was reverted and payments resumed.
"""
    parsed = parse(doc, source_id="payments.md")
    assert parsed.fields["root_cause"].startswith("Trigger — A firewall change replaced")
    assert parsed.fields["root_cause"].index("Trigger") < parsed.fields["root_cause"].index("narrow outbound")
    assert parsed.provenance["root_cause"] == "heading: Root cause"


def test_the_kinds_of_impact_a_review_counts_are_no_products():
    doc = """# Prices missing everywhere

## Impact

- **Outage:** three hours with stale prices in the app.
- **Security:** a leaked key was used by a third party for nineteen days.
- **Cost:** the vendor quota for the month was used up.

## Root cause

A production API key was committed to a public fork and abused until the vendor suspended it.

## Resolution

We revoked the key and deployed a new one from the secrets manager.
"""
    services = parse(doc, source_id="prices.md").fields["services_affected"]
    assert not {"outage", "security", "cost"} & set(services)


def test_the_story_after_here_is_what_was_actually_going_on_is_the_cause():
    doc = """# The morning our search went dark

If you searched the catalogue on Monday morning, you got an empty page for about an hour.

At 09:12 a librarian emailed support to say that every search returned nothing. Old bookmarks
kept working, because those pages are served from a different system.

We first thought it was a network problem, because the load balancer showed resets. It was not.

Here is what was actually going on. A nightly job had rebuilt the search index with an empty
schema file. Every query then matched no field at all.

We restored the previous index from the snapshot at 10:20 and searches came back.
"""
    parsed = parse(doc, source_id="search.md")
    assert parsed.reason is None, parsed.detail
    cause = parsed.fields["root_cause"]
    assert cause.startswith("A nightly job had rebuilt the search index with an empty schema file.")
    assert "emailed support" not in cause


def test_an_immediate_cause_and_a_service_restoration_section():
    doc = """# Major Incident Report: sign-in failures

## 1. Summary

Most sign-ins failed for three hours on Tuesday morning.

## 3. Causal factors

### 3.1 Immediate cause

A firewall clean-up removed the rule that let the identity servers reach the directory.

## 4. Service restoration

An emergency change reinstated the rule from the pre-change backup and sign-ins recovered.
"""
    parsed = parse(doc, source_id="mir.md")
    assert parsed.fields["root_cause"].startswith("A firewall clean-up removed the rule")
    assert parsed.provenance["root_cause"] == "heading: 3.1 Immediate cause"
    assert parsed.fields["fix"].startswith("An emergency change reinstated the rule")
    assert parsed.provenance["fix"] == "heading: 4. Service restoration"


def test_a_services_tables_header_and_an_items_trailing_clause_are_no_names():
    doc = """# Claims platform could not save

## Services impacted

| Service | Impact |
|---|---|
| Claims workbench | Read-only |
| Quotes API (internal), called by the partner portal | Write calls failed |

## Root cause

A data-fix session left a transaction open and the claims database refused writes.

## Resolution

The session was terminated and a manual vacuum brought the database back.
"""
    assert parse(doc, source_id="claims.md").fields["services_affected"] == ["claims workbench", "quotes api"]


def test_a_key_value_tables_first_row_of_services_is_no_column_header():
    # Converted from HTML, a details table's first row is its header: there it names the
    # services, and the rows under it are other fields, not more services.
    doc = (
        "# Checkout 502s\n\n| Services affected | checkout-api, shop-ingress, mobile app checkout |\n| --- | --- |\n"
        "| Duration | 75 min |\n| Severity | SEV-2 |\n\n## Root cause\n\nA values change set the ingress timeout to 5 s.\n\n"
        "## Resolution\n\nReverting the values change restored checkout.\n"
    )
    assert parse(doc, source_id="x.md").fields["services_affected"] == ["checkout-api", "shop-ingress", "mobile app checkout"]


def test_a_plain_text_label_over_an_indented_list_keeps_its_items():
    # Underlined sections make it reStructuredText, where "AFFECTED:" over an indented list is a
    # definition whose list had been run into one line.
    text = (
        "Sign-in failures\n================\n\n"
        "AFFECTED:\n  - Account sign-in (web and apps)\n  - Account registration\n\n"
        "1. Root cause\n-------------\n\nA credential-stuffing attack from rotating addresses hit the sign-in service.\n\n"
        "2. Resolution\n-------------\n\nBot-management rules were switched to blocking and lockout was replaced by a challenge.\n"
    )
    markdown, _, _ = to_markdown(text.encode(), "signin.txt")
    assert "- Account registration" in markdown.split("\n")
    assert parse(markdown, source_id="signin.txt").fields["services_affected"] == ["account sign-in", "account registration"]


def test_an_impact_tables_affected_row_lists_the_services_and_its_not_affected_row_does_not():
    doc = """# Live map blank after a DNS clean-up

## Impact

| Metric | Value |
|---|---|
| Surfaces affected | Live Map, branded tracking pages, ETA widget |
| Not affected | Route planning, Courier App |

Courier App and the notification service were not affected, but the partner API was slow.

## Root cause

A Terraform clean-up pointed the tiles record at a retired CDN distribution.

## Fix

We reverted the record and the tiles came back as caches expired.
"""
    services = parse(doc, source_id="map.md").fields["services_affected"]
    assert services[:3] == ["live map", "branded tracking pages", "eta widget"]
    assert "courier app" not in services


def test_a_label_with_only_an_aside_after_it_announces_the_list_below():
    doc = """# Sign-in failures in exam week

| Reference | MI-0114 |
|---|---|
| Service | Campus single sign-on |

## Summary

Most sign-ins failed for two hours.

**Services impacted** (as recorded on the ticket):

- Campus single sign-on: all browser sign-ins
- Learning portal
- Exam submission

## Root cause

A firewall clean-up removed the rule that let the identity servers reach the directory.

## Resolution

The rule was restored from the backup and sign-ins recovered.
"""
    parsed = parse(doc, source_id="mir.md")
    assert parsed.fields["services_affected"] == ["campus single sign-on", "learning portal", "exam submission"]


def test_each_services_label_is_read_on_its_own_and_only_its_first_sentence_names():
    doc = """# Claim documents failing to open

Service: Claims portal

## Summary

Handlers could not open documents for five hours.

Affected: document viewer, scanning stations. Telephony and all other portal functions worked.

## Root cause

BGP kept the branch traffic on the backup VPN path, where large packets were dropped.

## Resolution

Local preference was set to prefer the primary circuit and the sessions were reset.
"""
    assert parse(doc, source_id="docs.md").fields["services_affected"] == ["claims portal", "document viewer", "scanning stations"]


TICKET_EXPORT = """[OPS-9120] Search API returning 500s
Created: 02/Mar/24 9:10 AM   Updated: 05/Mar/24 4:00 PM   Resolved: 02/Mar/24 1:20 PM

Status:             Resolved
Resolution:         Fixed
Labels:             incident, sev2
Environment:        Production

Description:
Support report that search returns an error page for most users since 09:00.

Links:
  is caused by OPS-9125  Grow /var/log on search hosts (Done)

Comments:

Comment by Ana Ruiz [02/Mar/24 9:30 AM]
Looking at the search hosts now.

Comment by Ana Ruiz [02/Mar/24 1:20 PM]
Resolving. Root cause: the search hosts' root disks filled with request logs during the sale traffic.
Deleted rotated logs and grew the volumes to 100 GB.
"""


def test_a_ticket_export_is_read_field_by_field():
    parsed = parse(TICKET_EXPORT, source_id="OPS-9120.txt")
    assert parsed.reason is None, parsed.detail
    assert parsed.fields["incident_title"] == "[OPS-9120] Search API returning 500s"
    # A link to another issue is no sentence of the story; the comment's "Root cause:" is.
    assert parsed.fields["root_cause"].startswith("the search hosts' root disks filled")
    # "Resolution: Fixed" is the ticket's state (the next header line no part of it), and the
    # line of dates no fix.
    assert "Labels" not in parsed.fields["fix"] and "Created" not in parsed.fields["fix"]
    assert "grew the volumes" in parsed.fields["fix"]


@pytest.mark.parametrize(
    "told",
    ["We don't have a fix yet, and we don't want to pretend otherwise.",
     "We have found long-running transactions but have not yet established whether these were the cause.",
     "Honestly, we don't know yet what's causing this; a thread pool race is the best guess.",
     "We raised the retry limit and lowered concurrency. None of this is a fix.",
     "Mitigation is in place, but the permanent fix has not shipped.",
     "We have identified the change that caused it, but we have not yet decided on a permanent fix.",
     "Three options are being tested, and we expect to choose an approach by 10 September.",
     "There is no fix in place. A DBA stands by on Monday mornings to pause the extract.",
     "Pausing the extract helps, but that is a mitigation, not a fix."],
)
def test_an_update_that_has_no_fix_or_no_cause_yet_is_a_draft(told):
    doc = f"""# An update on slow scratch storage

Scratch has been slow on most afternoons this month. The metadata server is overloaded. {told}

We are purging old files early and adding file-count quotas.
"""
    assert parse(doc, source_id="update.md").reason == "draft"


def test_a_guess_at_what_the_reader_saw_is_no_hedge_on_the_cause():
    doc = """# Slow dashboard on February 20

If you used the dashboard that morning, you may have seen spinners that never finished, and
for twenty minutes a third of API requests failed.

Our API servers reach the database through a pooler that lends out a fixed number of
connections. A customer's new integration sent forty times its usual requests, and every
connection in the pool was taken.

We rate-limited that workspace at 14:41 and raised the pool size, and latency recovered by 15:41.
"""
    parsed = parse(doc, source_id="status.md")
    assert parsed.reason is None, parsed.detail


def test_a_response_and_recovery_section_tells_the_fix():
    text = """# Billing database refused writes

## Root cause
An abandoned replication slot kept vacuum from freezing old transaction IDs until the database hit its wraparound limit.

## Response and recovery
The on-call engineer recognised the wraparound error at 04:10 and paged the DBA. We dropped the abandoned slot at 05:20 and ran a manual freeze vacuum on the oldest tables, after which writes were accepted again at 08:08.

## Lessons learned
- Alerts must page, not post to a channel.
"""
    p = parse(text, source_id="billing-db.md")
    assert p.provenance["fix"] == "heading: Response and recovery"
    assert "dropped the abandoned slot" in p.fields["fix"]


def test_printed_labels_and_software_circuit_breakers_are_no_config_or_hardware():
    t = Taxonomy.default()
    cause = ("A slowdown at our address validation provider, combined with our label service calling it "
             "synchronously with no timeout and no circuit breaker, took out label printing.")
    assert t.scores(cause)["hardware"] == 0 and t.scores("Label printing outage at three depots")["configuration"] == 0
    assert t.classify_incident("Label printing outage at three depots", cause,
                               "We turned off address validation with the feature flag.") == "dependency"
    # Kubernetes labels and an electrical breaker keep their categories.
    assert t.scores("The namespace label had been removed")["configuration"] > 0
    assert t.classify_incident("Rack B lost power", "A circuit breaker tripped in the PDU feeding rack B.") == "hardware"


def test_a_cause_label_inside_the_cause_section_leads_the_cause():
    text = """# Regional packet loss after a backbone fibre cut

## 4. Root cause analysis

Why the impact was so large: the surviving ring had 200G of capacity against a 520G peak, and capacity planning never modelled losing one path.
Direct cause: a contractor drilling for a water main cut the backbone fibre, using duct records that were never updated after a re-route.

## 5. Restoration

We lit a leased wavelength to relieve the ring, and the field team spliced the cable overnight.
"""
    p = parse(text, source_id="fibre-cut.md")
    assert p.fields["root_cause"].startswith("a contractor drilling for a water main cut the backbone fibre")
    assert "Why the impact was so large" in p.fields["root_cause"]  # the explanation stays, after it


def test_a_pages_icon_is_no_part_of_its_title():
    text = "# 🕑 Stale dashboards after the clock change\n\n## Root cause\nThe scheduler crashed on local times the clock change skipped.\n\n## Fix\nWe deployed a hotfix that computes next runs in UTC.\n"
    assert parse(text, source_id="stale.md").fields["incident_title"] == "Stale dashboards after the clock change"


def test_a_note_on_where_the_write_up_tells_the_fix_is_no_fix():
    text = """# Season launch login loop

## Summary
Players could not log in for two hours after the season launch. There is no separate "fix" section – the recovery steps are all in the timeline.

## What went wrong
A scheduled job published the new client manifest before the server fleet had been upgraded, so clients and servers disagreed on the protocol version.

## Timeline
- 16:41 — the previous manifest was republished and the CDN purged; logins recovered.
"""
    p = parse(text, source_id="login-loop.md")
    assert "no separate" not in p.fields["fix"] and "republished" in p.fields["fix"]


def test_what_went_wrong_told_as_a_story_is_the_cause_even_beside_lessons_learned():
    text = """# Stale dashboards after the clock change

## Impact
Dashboards stopped refreshing for 29 hours.

## What went wrong
The scheduler computed next run times in local time and raised an error for times the spring clock change skipped. The error was not caught per workspace, so whole scheduler shards crash-looped.

## How we fixed it
We shipped a hotfix that computes next runs in UTC and catches errors per workspace.

## Lessons learned
- Test both clock changes.
"""
    p = parse(text, source_id="stale.md")
    assert p.provenance["root_cause"] == "heading: What went wrong"
    assert p.fields["root_cause"].startswith("The scheduler computed next run times in local time")


BOLD_PARAGRAPH_HEADINGS = """# Ledger export stalled

**Summary**:
The nightly ledger export to the finance warehouse stopped at 02:10 and finance had no numbers at 08:00.

**Root cause**:
In short: the export ran out of room.

The export stages its files on a 50 GB scratch volume. A new merchant's backfill had left 46 GB of
staged files there the day before, so the export's first write failed with "no space left on device".

It retried every minute and failed the same way until the morning.

**Resolution**:
We cleared the backfill's staged files and re-ran the export at 08:40.

**Action items**:
- Clean the scratch volume after each backfill
"""


def test_a_bold_label_alone_on_its_line_heads_a_section_until_the_next_one():
    # Google Docs and Confluence export headings as bold paragraphs: a label there reads on
    # over its blank lines to the next one, not only its first paragraph.
    p = parse(BOLD_PARAGRAPH_HEADINGS, source_id="ledger.md")
    assert "backfill had left 46 GB" in p.fields["root_cause"]
    assert "retried every minute" in p.fields["root_cause"]
    assert "We cleared" not in p.fields["root_cause"]
    assert p.fields["fix"].startswith("We cleared the backfill's staged files")
    assert p.provenance["root_cause"] == "label: Root cause"


def test_a_status_pages_name_is_not_the_incidents_title():
    text = """# Tollgate Status

[Dashboard](https://status.tollgate.example/) · [History](https://status.tollgate.example/history)

## Card payments declined in the EU

**Resolved** - Card payments have succeeded normally since 10:25.

### Postmortem

**Root cause**: A certificate rotation on the card gateway left its new certificate without the
intermediate, so the acquirer refused our TLS handshakes.

**Resolution**: We re-issued the chain with its intermediate at 10:20.
"""
    p = parse(text, source_id="status.md")
    assert p.fields["incident_title"] == "Card payments declined in the EU"
    assert p.provenance["incident_title"] == "heading: below the status page's name"
    # The page's history of incidents, as a status page titles it.
    history = parse(text.replace("# Tollgate Status", "# Tollgate Status — Incident History"), source_id="status.md")
    assert history.fields["incident_title"] == "Card payments declined in the EU"
    # A status page named with its company's name and the page's own ("... - System Status").
    system = parse(text.replace("# Tollgate Status", "# Tollgate Telematics - System Status"), source_id="status.md")
    assert system.fields["incident_title"] == "Card payments declined in the EU"


def test_an_incident_write_up_is_a_kind_of_document_not_the_incidents_name():
    text = """BRIARWOOD - INCIDENT WRITE-UP
Member portal logins failing after the SSO certificate expired
Written by: the identity team

The SAML signing certificate of the member portal expired at midnight and every login failed.

Root cause: the certificate was issued by hand two years ago and nothing tracked its expiry.

Resolution: we issued a new certificate and uploaded it to the identity provider at 07:40.
"""
    markdown, _, _ = to_markdown(text.encode(), "briarwood.txt")
    p = parse(markdown, source_id="briarwood.txt")
    assert p.fields["incident_title"] == "Member portal logins failing after the SSO certificate expired"
    assert parse("# Incident write-up: Search down\n\n" + text.split("\n", 3)[3], source_id="x.md").fields["incident_title"] == "Search down"


def test_two_names_of_one_field_joined_are_that_field():
    text = """# Search index read-only

## Root cause

The search cluster's disk watermark was reached after a reindex doubled the index, and the cluster
set every index read-only.

## Mitigation and resolution

1. **10:05 UTC** - We deleted the old copy of the index, freeing 40% of the disk.
2. **10:12 UTC** - We cleared the read-only block and writes resumed.
"""
    p = parse(text, source_id="search.md")
    assert p.provenance["fix"] == "heading: Mitigation and resolution"
    assert "deleted the old copy of the index" in p.fields["fix"]
    assert classify_label("Fix / workaround") == "fix"
    assert classify_label("Detection and resolution") is None  # two fields: neither


def test_a_reports_kind_over_its_particulars_is_no_cause_section():
    text = """## ROOT CAUSE ANALYSIS

Subject:     Card declines in the UK
Document ID: RCA-2024-0412
Version:     1.0 (Final)

## 1. SUMMARY

Card payments in the UK were declined for 40 minutes on 12 April.

## 2. ROOT CAUSE

A certificate on the acquirer link expired; the renewal job had been disabled in a clean-up.

## 3. RESOLUTION

We installed a renewed certificate at 10:40 and re-enabled the renewal job.
"""
    p = parse(text, source_id="rca.md")
    assert p.provenance["root_cause"] == "heading: 2. ROOT CAUSE"
    assert p.fields["root_cause"].startswith("A certificate on the acquirer link expired")


def test_a_sentences_opening_word_before_cluster_names_no_cluster():
    text = """# Shard ownership race in the fleet manager

## Root cause

A race in the fleet manager let two shards own one cluster. Each cluster is owned by one shard.
No cluster data was lost. The Orion Kubernetes cluster was the first affected.

## Resolution

We restarted the shards with a forced ring refresh.
"""
    services = parse(text, source_id="fleet.md").fields["services_affected"]
    assert "orion kubernetes cluster" in services
    assert not {"each cluster", "no cluster"} & set(services)


def test_why_a_safeguard_did_not_prevent_it_is_hindsight_not_the_cause():
    text = """# Checkout degradation during the flash sales

## What happened

Checkout slowed for 80 minutes. The cart pricing service ran out of connections to the promotions
database when three flash sales started at the same minute, and retries tripled the load.

## Why our preparations didn't prevent it

Our load test ramped up over thirty minutes, so the autoscaler always kept ahead of it.

## Resolution

We raised the pooler's connection limit and turned on the checkout waiting room.
"""
    assert classify_label("Why our preparations didn't prevent it") == "hindsight"
    assert classify_label("Why the cluster ran out of IPs") == "root_cause"
    p = parse(text, source_id="sales.md")
    assert "ran out of connections" in p.fields["root_cause"]
    assert "load test" not in p.fields["root_cause"]


def test_what_was_actually_wrong_names_the_cause_section():
    text = """# Editor disconnects

## How it looked

Editors dropped every few minutes and the gateway pods were OOM-killed.

## What was actually wrong

The session-resume path leaked one presence subscription per quick reconnect, so memory grew until
the pods hit their limit.

## Resolution

We shipped a fix that disposes of the old subscription on resume.
"""
    p = parse(text, source_id="editor.md")
    assert p.provenance["root_cause"] == "heading: What was actually wrong"
    assert p.fields["root_cause"].startswith("The session-resume path leaked")


def test_an_engine_is_a_component_name():
    text = """# quote-engine 2.14 rollout: 500s on quote requests

## Root cause

Release 2.14 changed the cached rating object's format without changing its keys.

## Fix

We rolled back to 2.13 and flushed the cache.
"""
    assert "quote-engine" in parse(text, source_id="q.md").fields["services_affected"]


def test_a_component_the_story_names_is_what_broke_where_no_field_names_one():
    text = """Order confirmations late on Black Friday

We knew it would be our busiest day. At 13:42 outbound latency climbed on the notification-service
dashboards, and within ten minutes the notification-service connection pool was fully used.
We scaled it from 12 to 45 pods, which made it worse. At 14:50 the SMS aggregator's status page
admitted a degradation: it had been accepting connections and answering after a minute, because
a failover in its routing layer had left its API servers stalled.

We switched SMS to our secondary provider at 15:09 and the queue drained by 15:40.
"""
    p = parse(text, source_id="confirmations.txt")
    assert p.fields["services_affected"] == ["notification-service"]
    assert p.provenance["services_affected"] == "prose"


def test_a_chat_thread_tells_its_fix_in_the_words_of_the_channel():
    text = """# Thread summary: docs not syncing

## The thread, condensed

- **00:07 @jonas:** every call from the gateway to doc-sync fails with connection resets.
- **00:36 @jonas:** the gateway's client certificate expired four minutes before the page.
- **00:49 @priya:** new certificate issued and verified against the trust bundle.
- **00:52 @jonas:** `kubectl rollout restart deploy/realtime-gateway` in both regions.
- **01:01 @jonas:** 5xx back to baseline, edits sync again.

## What we now know

The mTLS client certificate the gateway presents to doc-sync expired at midnight, and doc-sync
refused it; it had been issued by hand and nothing renewed it.
"""
    p = parse(text, source_id="thread.md")
    assert p.reason is None, p.detail
    assert "rollout restart" in p.fields["fix"] or "back to baseline" in p.fields["fix"]


def test_shutting_a_device_down_can_be_the_fix_and_errors_dropping_to_normal_tell_it():
    text = """# What happened during the on-sale

For 35 minutes checkout connections were reset, because a spanning-tree reconvergence cut the
heartbeats between our two load balancers and the standby took over the address the active one kept.

Once a network engineer saw the address flapping, we shut down the standby load balancer's network
interface. Checkout errors dropped to normal within a minute.
"""
    p = parse(text, source_id="onsale.md")
    assert p.reason is None, p.detail
    assert "we shut down the standby load balancer" in p.fields["fix"]
    assert "spanning-tree reconvergence" in p.fields["root_cause"]


def test_a_label_written_on_after_a_sentence_is_its_own_field():
    note = """# INC0091544 Remote access VPN authentication failures

Resolution Notes:
  Cause: a standard change reordered the NPS network policies so the catch-all deny
  policy was evaluated first and rejected every VPN request. Fix: policy order restored
  from the nightly export and the deny policy scoped to the guest Wi-Fi NAS.
"""
    p = parse(note, source_id="x.txt")
    assert p.fields["root_cause"].endswith("rejected every VPN request.")
    assert " ".join(p.fields["fix"].split()).startswith("policy order restored from the nightly export")
    # A capitalised word and a colon inside a sentence is no label: "Note: ..." names no field.
    noted = note.replace("Fix: policy order", "Note: see the change record. Fix: policy order")
    assert "see the change record" in parse(noted, source_id="x.txt").fields["root_cause"]


def test_a_heading_that_names_the_cause_then_what_it_was():
    blog = """# Why EU races rubber-banded last weekend

Here's what actually happened, because the truth turned out to be less obvious than "the servers were bad".

## Our first guess (wrong)

We rolled the relays back to the previous build. Nothing changed.

## The actual cause: a flapping transit link

The BGP session to one of our two transit providers kept going down and up, and each flap
black-holed live race traffic while routes reconverged.

## How we fixed it

We shut the session to that provider and pinned all traffic to the other one.
"""
    p = parse(blog, source_id="x.md")
    assert "BGP session to one of our two transit providers" in p.fields["root_cause"]
    # The adjective alone: "The real cause" heads the cause as "Root cause" does.
    real = blog.replace("## The actual cause: a flapping transit link", "## The real cause")
    assert "BGP session" in parse(real, source_id="x.md").fields["root_cause"]
    # A title that opens on "Root cause:" stays the page's title.
    titled = blog.replace("# Why EU races rubber-banded last weekend", "# Root cause: EU races rubber-banding")
    assert parse(titled, source_id="x.md").fields["incident_title"] == "Root cause: EU races rubber-banding"


def test_a_service_desk_records_business_service_and_configuration_item_are_what_was_affected():
    record = """# INC0048213 Payroll calculation failure

Business Service: PayCore Payroll
Configuration Item: paycore-app-prd
Priority: 1 - Critical

## Root cause

A vendor patch applied on Friday changed the tax table loader, and the calculation run failed on every employee.

## Resolution

The patch was rolled back and the calculation run re-started at 11:40.
"""
    p = parse(record, source_id="x.txt")
    assert p.fields["services_affected"] == ["paycore payroll", "paycore-app-prd"]
    # "Affected service", singular, and "Impacted service" too.
    for label in ("Affected service", "Impacted service", "Affected CI"):
        one = record.replace("Business Service: PayCore Payroll\nConfiguration Item: paycore-app-prd", f"{label}: PayCore Payroll")
        assert parse(one, source_id="x.txt").fields["services_affected"] == ["paycore payroll"], label


@pytest.mark.parametrize(
    "top, title",
    [
        ("# Kestrel Auto Components - Plant 2 Velmar - IT\nIncident report: MES -> ERP interface stop (01.09.2024)\n",
         "MES -> ERP interface stop (01.09.2024)"),
        ("# MERIDIA SAVINGS BANK - IT Risk & Operations\nIncident Report IR-2024-0088\nTeller application unavailable in 37 branches\n",
         "Teller application unavailable in 37 branches"),
        # A report's own kind over its name is no organisation's letterhead.
        ("# Major Incident Review - Debit card authorisation failures\n\n## Harbourline Savings Bank - Confidential\n\nMajor Incident Review\n",
         "Debit card authorisation failures"),
        # A company's letter: its name, address and references, then its kind over the incident's name.
        ("# Fernhill Hosting Ltd\nUnit 4, Dock Road, Hull HU1 2AB\nReference: FH-RFO-0042\n\n## REASON FOR OUTAGE\n\n"
         "Hosted mail - delivery delays, 2-3 May 2024\n\nDear valued customer,\n",
         "Hosted mail - delivery delays, 2-3 May 2024"),
        # Or its "Subject:" line under the name in capitals.
        ("# FERNHILL HOSTING\nUnit 4, Dock Road, Hull HU1 2AB\n\nOur ref: FH-IR-0043\nSubject: Outbound email rejected by recipient servers\n\n"
         "Dear valued customer,\n",
         "Outbound email rejected by recipient servers"),
    ],
)
def test_an_organisations_letterhead_over_its_unit_gives_way_to_the_reports_incident(top, title):
    doc = top + """Date: 03.09.2024

## Root cause

The client certificate of the bridge expired on 01.09 and the peer refused the handshake.

## Resolution

A new certificate was issued from the internal CA and the service restarted at 10:40.
"""
    assert parse(doc, source_id="report.txt").fields["incident_title"] == title


def test_a_service_desk_records_short_description_is_its_title_a_reports_section_is_not():
    record = """Incident Number: INC0091544
Short Description: Remote Access VPN - all staff authentication failures
State: Closed

## Root cause

A standard change reordered the NPS policies so the deny policy was evaluated first.

## Resolution

The policy order was restored from the nightly export and synced to both servers.
"""
    p = parse(record, source_id="INC0091544.txt")
    assert p.fields["incident_title"] == "Remote Access VPN - all staff authentication failures"
    report = "# Teller application unavailable in 37 branches\n\n## 1. Short description\n\nOn 13.06 at 08:00 tellers could not connect.\n\n" + record.split("\n\n", 1)[1]
    assert parse(report, source_id="IR-0088.md").fields["incident_title"] == "Teller application unavailable in 37 branches"


def test_a_problem_records_permanent_fix_is_part_of_the_fix():
    record = """# PRB0010377 Ledgerline ERP unresponsive during month-end close

## Root Cause

A long reconciliation transaction escalated to a table lock that blocked all journal inserts.

## Workaround

If ERP freezes at month end, kill the reconciliation session and re-run it out of hours.

## Permanent Fix

CHG0052094 added a covering index and switched the job to snapshot reads.
"""
    fix = parse(record, source_id="x.md").fields["fix"]
    assert "kill the reconciliation session" in fix and "added a covering index" in fix


def test_each_field_of_a_meta_line_is_its_own_bold_or_not():
    review = """# INC-2024-0882 SMS delivery delays

**Date:** 2024-12-23 | **Severity:** Major | **Status:** monitoring

## Root cause

The SMSC throughput licence (800 TPS) was reached by the Christmas peak plus an unannounced campaign.

## Resolution

Bulk accounts were throttled to 200 TPS and one-time passwords given priority.
"""
    p = parse(review, source_id="x.md")
    assert p.reason == "draft" and p.detail == "its Status is 'monitoring'"
    closed = review.replace("**Status:** monitoring", "**Status:** closed").replace(
        "**Date:** 2024-12-23", "**Region:** eu-north-2 · **Services:** smsc, a2p gateway · **Customer-facing:** yes\n\n**Date:** 2024-12-23"
    )
    p = parse(closed, source_id="x.md")
    assert p.reason is None and p.fields["services_affected"] == ["smsc", "a2p gateway"]


def test_a_label_with_the_writers_aside_after_a_comma_is_that_label():
    retro = """# Lantern Night matchmaking meltdown

## Why it happened

We did a five whys at the retro.

1. **Why were queue times so long?** Tickets came in faster than matchmaker could match them.
2. **Why was it stuck at 12 pods?** The HPA ceiling, set two years ago.

**Root cause, plain version:** a traffic spike from the event launch ran into a hard autoscaling ceiling on matchmaker.

## How we fixed it

We raised matchmaker's maxReplicas from 12 to 60 and let the cluster autoscaler add nodes.
"""
    p = parse(retro, source_id="x.md")
    assert p.fields["root_cause"].startswith("a traffic spike from the event launch")


def test_a_documents_first_line_is_its_title_over_numbered_top_level_sections():
    # A word processor's export: the title in a plain paragraph, its numbered sections set as
    # top-level headings.
    doc = """Post-Incident Review: retail top-up failures after OCS 7.4.2 release

**Author:** I. Solheim

# 1. Summary

Retail top-ups were rejected from 07:00 to 09:40.

# 4. Investigation and wrong tracks

The retail partner's gateway was suspected first; it was fine.

# 5. Root cause

The 7.4.2 release changed the top-up adapter's field mapping for retail channels.

# 6. Resolution

The adapter was rolled back to 7.4.1 at 09:35.
"""
    p = parse(doc, source_id="PIR_OCS-7.4.2_retail-topup.md")
    assert p.fields["incident_title"] == "retail top-up failures after OCS 7.4.2 release"


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Reason for Outage", "root_cause"),
        ("RFO", "root_cause"),
        ("Fault cause", "root_cause"),
        ("Root cause of the incident", "root_cause"),
        ("Resolution details", "fix"),
        ("Actions taken to restore service", "fix"),
        ("Who was affected", "impact"),
        ("What we will do next", "action_items"),
        # A retro board's facilitator, summing up beside the team's cards.
        ("Facilitator summary (Yusuf)", "summary"),
        ("Facilitator notes", "summary"),
        ("Summary card", "summary"),
        ("Root cause in one line", "root_cause"),
        ("How we got out", "fix"),
        ("What stopped it", "fix"),
        # A shift handover's incident entry, and what it says filled up.
        ("What failed", "root_cause"),
        ("Restored by", "fix"),
        ("What I did", "fix"),
        ("Fixed by", "fix"),
        ("Resolved by", "fix"),
        # A FAQ's questions.
        ("How was it fixed?", "fix"),
        ("How was power restored?", "fix"),
        ("So why did it actually happen?", "root_cause"),
        ("So what actually caused it?", "root_cause"),
        # An interview's questions.
        ("Q: How was power restored?", "fix"),
        ("Q: If you had to say in one line what caused it?", "root_cause"),
        ("Q: So what was the root cause?", "root_cause"),
        ("Why the disk filled", "root_cause"),
        # The cause a review settled on, after the theories it heard.
        ("Agreed cause", "root_cause"),
        ("Confirmed root cause", "root_cause"),
    ],
)
def test_a_providers_a_forms_and_a_facilitators_names_for_the_fields(label, field):
    assert classify_label(label) == field


def test_a_letters_subject_under_the_reason_for_outage_is_no_cause():
    # A provider's letter, as a PDF gives it: no blank lines, the subject under the RFO's name.
    letter = """# Reason for Outage - Portal

Ref: RFO-2024-031
Reason for Outage: customer portal outage - 21 June 2024
Dear Customer,
On Friday 21 June our customer portal was unavailable for three hours.

## What happened

At 10:41 a storage controller failed and the standby controller's firmware stalled the takeover, leaving the portal's database volumes offline.

## How we restored service

The vendor's engineer forced the takeover by hand at 13:40 and the portal was back at 14:03.
"""
    p = parse(letter, source_id="x.md")
    assert p.fields["root_cause"].startswith("At 10:41 a storage controller failed")
    short = "# Portal outage\n\n**Reason for Outage:** a storage controller failed and its standby stalled.\n\n**Action taken:** forced the takeover by hand.\n"
    p = parse(short, source_id="x.md")
    assert p.provenance["root_cause"] == "label: Reason for Outage" and p.fields["fix"] == "forced the takeover by hand."


@pytest.mark.parametrize(
    ("cause", "fix"),
    [
        # A cause section that is only the writer's note to self, under its heading.
        ("TODO (Marek): rewrite once the registry and the vendor reply.", "Failed over to the secondary provider at 17:58."),
        # A cause told, then disowned further down its own section.
        (
            "A consumer-group rebalance re-delivered the in-flight batches when a pod was evicted mid-batch, "
            "so their entries were posted a second time.\n\n### Validation (in progress)\n\n"
            "We have not yet been able to confirm the above: six staging attempts to kill a pod mid-batch "
            "produced no duplicate, because the idempotency check rejected every replay.",
            "Reversed the duplicate rows.",
        ),
        # A known cause, and a recovery nobody can explain.
        (
            "The worker loads every unread event into memory and ran out of it on one workspace.",
            "Paginate event loading, to be scheduled. At 07:46 the pods stopped crashing; we don't know why it recovered.",
        ),
    ],
)
def test_a_cause_or_fix_section_that_says_it_is_not_settled_is_a_draft(cause, fix):
    doc = STORY + f"## Root cause\n\n{cause}\n\n## Fix\n\n{fix}\n"
    assert parse(doc, source_id="x.md").reason == "draft"


def test_a_todo_list_in_notes_is_still_the_follow_ups():
    notes = STORY + "## Root cause\n\nA config push set the cache TTL to zero.\n\n## Fix\n\nReverted the config push at 10:40.\n\ntodo: alert on cache hit rate\n"
    p = parse(notes, source_id="x.md")
    assert p.reason is None and p.provenance["action_items"] == "label: todo"


def test_a_services_list_item_that_rules_a_service_out_names_none():
    doc = STORY + (
        "## Services impacted\n\n- IPv4 internet access for CGNAT subscribers\n- IPv6 traffic unaffected (native dual stack)\n"
        "- Voice: calls failed to register\n- Not impacted: leased lines, hosted DNS\n\n"
        "## Root cause\n\nThe CGNAT port-block pool ran out after subscriber growth.\n\n## Fix\n\nAdded a reserve /24 to the pool at 21:40.\n"
    )
    assert parse(doc, source_id="x.md").fields["services_affected"] == ["ipv4 internet access", "voice"]


def test_an_organizations_letterhead_over_its_unit_and_the_reviews_name():
    doc = """# Tri-County Regional Transit Authority

Fare Systems & Revenue Technology

# Incident Review: Daily Fare Cap Not Applied on Sunday, November 5

Prepared by: M. Etxeberria. Date: November 17, 2023.

## Root cause

The fare engine stored tap times in local time without an offset, so taps in the repeated hour sorted out of order.

## Resolution

Patch v2.8.3 stores tap times in UTC; it was deployed on November 8 and the overcharges refunded.
"""
    p = parse(doc, source_id="x.docx")
    assert p.fields["incident_title"] == "Daily Fare Cap Not Applied on Sunday, November 5"


def test_a_department_or_the_service_desk_is_no_service():
    from pipeline.ingest.parser import services_in

    text = "Network Services and Information Services were paged; the First Service Desk ticket came at 09:04. The Upload Service stalled."
    assert services_in(text) == ["upload"]
    # A key or an id in backticks is a value.
    assert services_in("Keys like `order-10231` and `INC-2291` collided in `ledger-writer`.") == ["ledger-writer"]


def test_a_department_is_no_service():
    doc = STORY + (
        "The IT Service Desk raised a priority call and ICT Services paged the supplier.\n\n"
        "## Root cause\n\nThe supplier's messaging platform stopped handing texts to the mobile networks after a data centre move.\n\n"
        "## Fix\n\nSwitched reminders to the secondary supplier at 14:00 and re-sent them.\n"
    )
    assert not {"it", "ict"} & set(parse(doc, source_id="x.md").fields["services_affected"])


def test_an_ops_logs_line_gives_the_cause_and_the_fix_after_its_status():
    log = (
        "2024-05-11 21:02Z  jpr  PAGE: lobby-svc p99 > 5s, ~30% of requests timing out\n"
        "2024-05-11 21:14Z  jpr  timeouts only via VIP 10.40.0.20, lb-3 still answering ARP for it\n"
        "2024-05-11 21:22Z  jpr  timeouts gone. RESOLVED. cause: stale ARP entry for the VIP pointing at lb-3. fix: ARP flush + lb-3 out of VRRP\n"
        "2024-05-12 08:30Z  mlo  ack. NET-331 to find out why lb-3 kept claiming the VIP\n"
    )
    p = parse(log, source_id="ops-log.txt")
    assert p.fields["root_cause"] == "stale ARP entry for the VIP pointing at lb-3."
    assert p.fields["fix"] == "ARP flush + lb-3 out of VRRP"
    # Hard-wrapped, the note runs on to its paragraph's end.
    wrapped = "# Checkout 5xx\n\nResolving. Root cause: the root disk on the checkout hosts filled with\napplication logs during the peak. Fix: cleared logs and grew the volumes.\n"
    p = parse(wrapped, source_id="x.txt")
    assert p.fields["root_cause"].endswith("filled with\napplication logs during the peak.")


def test_a_status_history_that_stops_before_resolved_is_a_draft():
    history = """Acme Edge Status - Incident History

Elevated 502 errors for Image Resizing

Update - 27 Feb 2024 21:58 UTC
We are continuing to work on a fix for this issue. The fix is being tested in a single point of presence.

Identified - 27 Feb 2024 19:42 UTC
The issue has been identified: a change to the memory limit for image workers set it too low for large images,
so workers are terminated and requests return 502.

Investigating - 27 Feb 2024 18:47 UTC
We are investigating reports of increased 502 errors for Image Resizing requests.
"""
    assert parse(history, source_id="status.txt").reason == "draft"
    resolved = history.replace(
        "Update - 27 Feb 2024 21:58 UTC", "Resolved - 27 Feb 2024 22:40 UTC\nWe restored the previous memory limit and errors stopped.\n\nUpdate - 27 Feb 2024 21:58 UTC"
    )
    assert parse(resolved, source_id="status.txt").reason is None


def test_a_fix_section_that_says_no_change_has_been_made_is_a_draft():
    doc = STORY + (
        "## Root cause\n\nThe customer master loader read meter IDs as numbers and dropped their leading zeros.\n\n"
        "## Fix\n\nTwo options are being costed: force the column to text in the loader, or pad the IDs at the join "
        "in the export job. No change has been made. The affected accounts stay on billing hold.\n"
    )
    assert parse(doc, source_id="x.md").reason == "draft"


def test_the_turn_from_a_wrong_guess_tells_the_cause():
    note = """# Changelog

## Incident note

- 4.12.1 broke CSV invoice export for every workspace with a custom currency. We first suspected the
  billing-api database because export queries looked slow. It wasn't that: the new exporter threw on a
  null currency symbol and kept retrying.
- Rolled back to 4.12.0 at 17:05, exports recovered.
"""
    p = parse(note, source_id="CHANGELOG.md")
    assert p.reason is None and "the new exporter threw on a" in p.fields["root_cause"]


def test_a_cause_slot_that_opens_on_its_placeholder_is_a_draft_however_long_the_story_after_it():
    so_far = (
        "**Pending RCA.** The card processor has confirmed the fault lay on their primary processing route but has "
        "not yet provided details. We have asked whether the 3DS server, a signing key or a capacity limit on the "
        "primary route was involved, because our logs show both timeouts and explicit declines in the window, and "
        "the processor's own status page showed nothing at the time. Their engineering team has committed to a "
        "written report within ten working days of the incident."
    )
    doc = STORY + f"## Root cause\n\n{so_far}\n\n## Five whys\n\nNot yet completed. Awaiting supplier RCA.\n\n## Resolution\n\nMoved card traffic to the secondary route at 20:57.\n"
    assert parse(doc, source_id="x.md").reason == "draft"


def test_a_quoted_paste_wraps_its_sentences_across_its_lines():
    from pipeline.ingest.parser import sentences

    quoted = "> Hotfix (clamp to last day\n> of month, so 2025-02-28) deployed 10:55, re-ran the failed renewals.\n> All succeeded."
    assert sentences(quoted) == ["Hotfix (clamp to last day of month, so 2025-02-28) deployed 10:55, re-ran the failed renewals.", "All succeeded."]


def test_a_heading_in_two_languages_or_with_a_synonym_beside_its_name_names_that_field():
    doc = (
        "# Card top-ups failing\n\nTop-ups failed for an hour on Tuesday.\n\n"
        "## Orsak / Cause\n\nThe acquirer rotated its signing key and our gateway still pinned the old one.\n\n"
        "## Fix / Solution\n\nPinned the new key and replayed the failed top-ups.\n"
    )
    p = parse(doc, source_id="notes/topups.md")
    assert p.reason is None
    assert p.provenance["root_cause"] == "heading: Orsak / Cause" and p.fields["root_cause"].startswith("The acquirer rotated")
    assert p.provenance["fix"] == "heading: Fix / Solution" and p.fields["fix"].startswith("Pinned the new key")



def test_an_action_table_gives_each_rows_action_not_its_number():
    doc = STORY + (
        "## Root cause\n\nA config push dropped the cache's allow rule.\n\n"
        "## Resolution\n\nWe restored the allow rule from the previous config and the cache recovered.\n\n"
        "## Action items\n\n| # | Action | Owner | Status |\n|---|---|---|---|\n"
        "| 1 | Review firewall clean-ups before they ship | Net team | Done |\n"
        "| AI-2 | Alert when the cache's hit rate falls | SRE | Open |\n"
    )
    assert parse(doc, source_id="x.md").fields["action_items"] == [
        "Review firewall clean-ups before they ship", "Alert when the cache's hit rate falls",
    ]


def test_a_sentence_that_only_says_where_the_trigger_lay_brings_the_sentences_that_say_what_it_was():
    doc = (
        "# Shoppers could not pay by card\n\n## What happened\n\n"
        "Card payments failed for most shoppers for forty minutes on Friday, and the help desk phones rang hot.\n\n"
        "Gift cards kept working because they never reach the acquirer.\n\n"
        "The trigger was outside our walls. Our acquirer's tokenisation endpoint refused every card it had not "
        "seen that day. We switched card traffic to the backup acquirer at 18:40 and payments recovered.\n"
    )
    p = parse(doc, source_id="reviews/card-payments.md")
    assert p.reason is None
    assert p.fields["root_cause"].startswith("The trigger was outside our walls. Our acquirer's tokenisation endpoint refused every card")


def test_an_ops_notes_letterhead_is_no_title_and_its_subject_line_names_the_incident():
    from pipeline.ingest.isolate import read_document

    notes = (
        "HARBOURVIEW LOGISTICS -- OPS NOTES\n"
        "Subject : pallet scanners could not print labels\n"
        "Date    : 2024-02-11, 04:10-05:30 GMT\n\n"
        "WHAT BROKE\n"
        "  The label spooler's disk filled with orphaned print jobs, so every new label failed.\n\n"
        "RECOVERY\n"
        "  We deleted the orphaned jobs and restarted the spooler; labels printed again at 05:30.\n"
    )
    _, p = read_document(notes.encode(), "ops-notes/spooler.txt", {})
    assert p.fields["incident_title"] == "pallet scanners could not print labels"


def test_an_affected_sentence_names_each_service_once_without_what_it_does():
    doc = STORY + (
        "Affected: invoice-api and the billing portal, and the mailer, which sends the receipts. "
        "Payments were unaffected.\n\n"
        "## Root cause\n\nA config push dropped the cache's allow rule.\n\n"
        "## Resolution\n\nWe restored the allow rule from the previous config and the cache recovered.\n"
    )
    assert parse(doc, source_id="x.md").fields["services_affected"] == ["invoice-api", "billing portal", "mailer"]


def test_a_subsections_heading_inside_a_field_reads_as_its_words():
    doc = STORY + (
        "## Root cause\n\n### The config push\n\nA config push dropped the cache's allow rule, so every read missed.\n\n"
        "## Resolution\n\nWe restored the allow rule from the previous config and the cache recovered.\n"
    )
    assert parse(doc, source_id="x.md").fields["root_cause"] == "The config push\n\nA config push dropped the cache's allow rule, so every read missed."


def test_a_fix_slot_that_opens_on_not_done_yet_is_a_draft():
    doc = STORY + (
        "## Root cause\n\nThe player SDK upgrade enabled tunneled playback, which one chipset's audio sink cannot start.\n\n"
        "## Fix\n\n*Not done yet.* Options being looked at:\n\n1. Ship 6.3.1 with tunneling off\n1. Downgrade the SDK\n"
    )
    assert parse(doc, source_id="x.md").reason == "draft"


def test_a_resolution_that_says_none_was_applied_is_a_draft():
    # The problem went away when the batch finished; nothing fixed it, and it will recur.
    doc = STORY + (
        "## Root cause\n\nThe month-end batch filled the shared Redis and evicted the live quote keys.\n\n"
        "## Resolution\n\nNone applied. Service recovered when the batch completed at 04:55 and the cache refilled.\n"
    )
    assert parse(doc, source_id="x.md").reason == "draft"


def test_a_heading_that_names_a_field_then_an_aside_names_that_field():
    doc = STORY + (
        "## The trigger and the conditions around it\n\nA month-end reconciliation query held a snapshot on the "
        "customer-facing replica, and replay paused behind it for forty minutes.\n\n"
        "## Recovery\n\nWe cancelled the query and replay caught up within eleven minutes.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.provenance["root_cause"] == "heading: The trigger and the conditions around it"


def test_a_reports_causal_analysis_section_names_the_cause():
    doc = STORY + (
        "## 4. Causal analysis\n\nPeak demand far above plan exhausted the token vault's connection pools.\n\n"
        "## 5. Remediation\n\nWe doubled the token vault's instances and paused batch detokenisation.\n"
    )
    assert parse(doc, source_id="x.md").provenance["root_cause"] == "heading: 4. Causal analysis"


def test_a_revised_write_ups_struck_through_cause_is_withdrawn():
    doc = STORY + (
        "## Root cause\n\n**Revision 1 (superseded):** ~~The volume filled because chart data grew past\n"
        "its capacity.~~\n\n**Revision 2:** A replication slot left behind by a retired connector kept every WAL "
        "segment on the primary until the disk filled.\n\n"
        "## Resolution\n\n~~Expanded the volume.~~ Dropped the replication slot, and the retained WAL was recycled.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.fields["root_cause"].startswith("**Revision 2:** A replication slot left behind")
    assert "capacity" not in p.fields["root_cause"] and "Expanded" not in p.fields["fix"]


def test_asciidocs_line_through_is_struck_text():
    from pipeline.ingest.formats import to_markdown

    adoc = "= Store purchases failing\n\n== Root cause\n\n[.line-through]#The payment provider had an outage.#\n\nOur client certificate expired.\n"
    assert "~~The payment provider had an outage.~~" in to_markdown(adoc.encode(), "x.adoc")[0]


def test_a_paragraph_labelled_superseded_is_withdrawn_and_a_sentence_using_the_word_is_not():
    doc = STORY + (
        "## Cause\n\n*Original (19 Sep, superseded):* a TTL regression in the arrivals cache dropped live entries.\n\n"
        "*Corrected (27 Sep):* the operator's feed publisher froze and kept serving its last snapshot.\n\n"
        "## Resolution\n\nWe pointed ingest at the operator's secondary endpoint and arrivals came back.\n\n"
        "## Actions\n\n- Make the stream keep the last value so superseded updates do not pile up.\n"
    )
    p = parse(doc, source_id="x.md")
    assert "TTL" not in p.fields["root_cause"] and "feed publisher froze" in p.fields["root_cause"]
    assert p.fields["action_items"] == ["Make the stream keep the last value so superseded updates do not pile up."]


def test_a_timeline_kept_as_a_table_is_searched_for_the_cause_row_by_row():
    doc = (
        "# Gateway memory waves\n\n## Timeline\n\n| Time | Entry |\n|---|---|\n"
        "| 08:55 | Three pods OOMKilled within four minutes. |\n"
        "| 09:04 | Root cause investigation started. |\n"
        "| 11:05 | Tobias finds it: a client that disconnects mid-handshake leaves its subscription entry behind forever. |\n"
        "| 16:10 | Gateway 2.9.4 with the fix deployed; memory flat since. |\n\n"
        "## Notes\n\nSome users assumed their work was lost because the presence badge vanished.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.provenance["root_cause"] == "timeline"
    assert p.fields["root_cause"].startswith("11:05 — Tobias finds it: a client that disconnects")


def test_traffic_taken_off_the_broken_path_is_no_trigger():
    from pipeline.ingest.parser import first_timed_event

    story = (
        "This incident is resolved. At 15:39 UTC we removed the affected link from routing, and all traffic now uses "
        "the second link. At 16:02 UTC the carrier confirmed a faulty optic on their side."
    )
    assert first_timed_event(story) == "At 16:02 UTC the carrier confirmed a faulty optic on their side."


def test_an_8d_reports_disciplines_name_their_fields():
    doc = (
        "# 8D-2024-031 Chargers offline after firmware 4.7.0\n\n"
        "# D2 - Problem description\n\nUnits on firmware 4.7.0 lost their backend connection within the hour.\n\n"
        "# D3 - Containment actions\n\nThe OTA campaign was paused and every 4.7.0 unit was downgraded to 4.6.3.\n\n"
        "# D4 - Root cause analysis\n\n## Occurrence root cause\n\nThe new WebSocket library runs its disconnect callback "
        "with the connection lock held, so the reconnect handler deadlocked.\n\n"
        "## Escape root cause (why it was not caught)\n\nThe canary wave never saw a server-side close.\n\n"
        "# D7 - Preventive actions\n\n- Soak every OTA wave across a forced server restart.\n"
    )
    p = parse(doc, source_id="8D-2024-031.md")
    assert p.provenance["root_cause"].startswith("heading: Occurrence root cause")
    assert p.fields["root_cause"].startswith("The new WebSocket library")
    assert p.provenance["fix"] == "heading: D3 - Containment actions"
    assert p.fields["action_items"] == ["Soak every OTA wave across a forced server restart."]


def test_a_sections_name_beside_unknown_words_names_it_only_for_fields_read_for_the_story():
    from pipeline.ingest.parser import classify_label

    assert classify_label("Orsak / Cause") == "root_cause" and classify_label("Affected products and features") == "services"
    # A follow-up, impact or date heading with a second topic beside it may hold the fix: unread.
    assert classify_label("Actions / owners") is None and classify_label("Date / time") is None
    assert classify_label("Actions and recommendations") == "action_items"  # two names of one field


@pytest.mark.parametrize("note", [
    "Most of what matters is in the timeline, so I'm leading with it.",
    "Written mostly as a timeline because most of the learning is in the order of events.",
])
def test_a_note_on_how_the_write_up_is_laid_out_is_no_cause(note):
    text = f"""# Pantry sync stalled

- **When:** 2031-03-02, 10:05 - 11:40 UTC

{note}

## Timeline (UTC)

**10:05** - Sync lag on the pantry service climbs past ten minutes.

**10:40** - The lag turned out to be caused by a full disk on the queue host: the cleanup cron had been disabled in March.

**11:20** - We cleared old segments and re-enabled the cron; the lag drained by 11:40.
"""
    p = parse(text, source_id="pantry.md")
    assert "timeline" not in p.fields["root_cause"] and "full disk" in p.fields["root_cause"]


def test_a_timeline_told_in_the_present_tense_names_the_cause_with_turns_out():
    text = """# Shelf hub: "database is locked", check-ins failing

- **When:** 2031-05-04, 09:10 - 11:30 UTC

## Timeline (UTC)

**09:10** - Check-in success rate drops to 70%.

**09:40** - The hub volume shows slow writes. Moving the hub to another node changes nothing.

**10:05** - Every guest check-in creates a session row, and it turns out nothing ever deletes them: the table holds nine million rows.

**10:30** - Stale sessions deleted and the database vacuumed; check-ins recovered by 11:30.
"""
    p = parse(text, source_id="shelf.md")
    assert "nothing ever deletes them" in p.fields["root_cause"]


@pytest.mark.parametrize("byline", ["2031-10-11, @mholst", "2031-10-11 by Ana Ruiz", "@ana-r, 2031-10-11"])
def test_a_byline_does_not_hide_the_story_under_the_title(byline):
    text = f"""# Metrics store out of memory, no dashboards for nine hours

{byline}

On the evening of the 10th I merged a relabelling change that kept the full repository label on every launch metric. That is several hundred thousand label values, and the metrics store grew to its memory limit by 01:30 and then crashed in a loop.

Reverted the relabel change and deleted the write-ahead log so it would start quickly; the store came back at 10:40.
"""
    p = parse(text, source_id="metrics.md")
    assert p.reason is None and "relabelling change" in p.fields["root_cause"]


@pytest.mark.parametrize("announce", ["**Cause found.**", "Root cause identified:"])
def test_a_timeline_entry_that_announces_the_cause_brings_the_sentences_after_it(announce):
    text = f"""# Duplicate orders after worker rebalances

## Timeline (UTC)

- **02:10** - Peak traffic. The order workers start rebalancing every few minutes.
- **10:20** - Incident declared. First guess: a client double-sending. Identical ids, so not the clients.
- **12:20** - {announce} With the poll interval at 30 s, any batch that takes longer than 30 s to write gets its worker kicked out of the group. Its uncommitted offsets go to another worker, which writes the same batch again.
- **12:51** - Revert applied (poll interval back to 300 s). Rebalances stop within minutes.
"""
    p = parse(text, source_id="orders.md")
    assert p.reason is None
    assert "kicked out of the group" in p.fields["root_cause"] and "Revert applied" in p.fields["fix"]


def test_i_e_and_e_g_do_not_end_a_sentence():
    said = "The culler reads the offset of that page, i.e. 0, instead of the next one. So page 2 is page 1 again."
    assert sentences(said) == ["The culler reads the offset of that page, i.e. 0, instead of the next one.", "So page 2 is page 1 again."]
    assert len(sentences("Some jobs, e.g. Nightly builds, were skipped.")) == 1


def test_a_blocking_query_cancelled_is_the_fix():
    text = """# Sales dashboards stale after a long report query

Mostly a timeline, as agreed in our retro format.

## Timeline

- **19:35** - An ad-hoc report query starts on the reporting replica and holds back replay.
- **08:41** - Cause identified: the long-running query on the replica held back replay, so the 02:00 extract was seven hours stale.
- **08:52** - Query cancelled with pg_cancel_backend. Replay resumes.
- **09:10** - Extract re-run for the missing day.
"""
    p = parse(text, source_id="sales.md")
    assert p.reason is None and "Query cancelled" in p.fields["fix"]
    assert p.fields["root_cause"].startswith("08:41 - Cause identified: the long-running query")


@pytest.mark.parametrize("affected, names", [
    # "X and the Y" however long the sentence is.
    ("usage reporting and the September invoices sent out on the first", ["usage reporting", "september invoices sent out"]),
    # A list's last item "A and B", and the consequence ("and so the log viewer").
    ("log uploads, artifact uploads and the log viewer", ["log uploads", "artifact uploads", "log viewer"]),
    ("log uploads and artifact uploads, and so the log viewer for those runs", ["log uploads", "artifact uploads", "log viewer"]),
    # When it happened is no service.
    ("web app, public API, from 14:22 to 15:11 UTC", ["web app", "public api"]),
    # The name said again ("i.e. ..."), an aside, and a list's lead-in ("including").
    ("the public ingress, i.e. all 27 tenant services on the shared domain", ["public ingress"]),
    ("ingress-nginx (the public controller) and the tenant services, including grants-portal and court-fines",
     ["ingress-nginx", "tenant services", "grants-portal", "court-fines"]),
])
def test_an_affected_label_lists_names_not_clauses_or_times(affected, names):
    doc = STORY + (
        f"**Affected:** {affected}. Everything else was fine.\n\n"
        "## Root cause\n\nA config push dropped the cache's allow rule.\n\n"
        "## Resolution\n\nWe restored the allow rule from the previous config and the cache recovered.\n"
    )
    assert parse(doc, source_id="x.md").fields["services_affected"] == names


def test_a_hard_wrapped_sentence_runs_on_at_a_capital_but_a_label_does_not():
    wrapped = (
        "The symptom is the same one pickers see when they are out of range of the access points or\n"
        "Wi-Fi coverage is poor. Jeroen walked the floor with a laptop.\n"
        "Owner: Ana Ferreira (Data Platform on-call, second week of the rota)\n"
        "Severity: SEV3\n"
    )
    assert sentences(wrapped) == [
        "The symptom is the same one pickers see when they are out of range of the access points or Wi-Fi coverage is poor.",
        "Jeroen walked the floor with a laptop.",
        "Owner: Ana Ferreira (Data Platform on-call, second week of the rota)",
        "Severity: SEV3",
    ]
    # One word can end the sentence on the next line: the date is whole.
    dated = ("validity and stored as a Kubernetes secret. It expired at 00:00 UTC on 8\n"
             "January. It was not issued by cert-manager, so no alert knew about it.\n")
    assert sentences(dated)[1] == "It expired at 00:00 UTC on 8 January."


def test_a_wrong_turn_is_no_fix_however_it_is_worded():
    text = """# Slow launches on the east cluster

## Summary
Launches slowed for a week; throwaway accounts were running crypto miners in user pods with no CPU limit.

## Investigation, including the wrong turns

### Wrong turn 1: registry latency
Pulls from the registry were a bit faster than usual, as the pool had scaled up and more images were cached.

## What we changed
- Banned the accounts and deleted the running miner pods.
- Put a CPU limit of two cores on every user pod.
"""
    p = parse(text, source_id="miners.md")
    assert classify_label("Wrong turn 1: registry latency") == "hindsight"
    assert "scaled up" not in p.fields["fix"] and "Banned the accounts" in p.fields["fix"]


@pytest.mark.parametrize("heading", ["What went less well", "What could have gone better", "Things that went not so well"])
def test_what_went_less_well_is_the_responses_lesson_not_the_fix(heading):
    text = f"""# Launches failing on the west cluster

## Summary
Launches failed for three hours because the user nodes' disks filled with cached images.

## Timeline
- 11:15 - Node by node, unused images were pruned; launches recovered by 12:40.

## {heading}
- I spent half an hour restarting the hub before anyone looked at the nodes.
"""
    p = parse(text, source_id="west.md")
    assert classify_label(heading) == "lessons" and "restarting the hub" not in p.fields["fix"]


def test_a_fix_told_as_by_turning_something_on_is_the_fix():
    text = """# Docs site down for twelve minutes (HTTP flood)

At 19:41 UTC our marketing site and the docs went down for twelve minutes. The cause was a layer-7 DDoS: random search queries bypassed the CDN cache and the flood reached the two small origin servers, which fell over.

We had it back at 19:53 by turning on the CDN's JavaScript challenge for the zone and adding a rate-limit rule on /search.
"""
    p = parse(text, source_id="flood.md")
    assert p.reason is None and "turning on the CDN's JavaScript challenge" in p.fields["fix"]


def test_a_timeline_told_in_the_present_tense_restarts_and_recovers():
    text = """# Metrics store stopped ingesting

## Timeline
**02:47** The metrics store logs no space left on device. Ingestion stops.
**08:52** This is the cause: the volume was sized for last spring's tenant count and simply ran out.
**09:10** Volume resize requested from 500 GiB to 1 TiB.
**09:31** The metrics store restarts and replays its write-ahead log.
**10:40** Dashboards and alerts confirmed working.
"""
    p = parse(text, source_id="metrics.md")
    assert p.reason is None and "restarts and replays" in p.fields["fix"]


def test_a_fix_slot_that_says_no_option_is_agreed_yet_is_a_draft_even_beside_a_workaround():
    doc = STORY + (
        "**Cause:** The firewall policy push turned on dropping of IP fragments between the wireless and server zones, "
        "so the fragmented RADIUS packets never reach the controllers.\n\n"
        "**Workaround:** staff told to use wired desks or the guest SSID with the VPN.\n\n"
        "**Fix:** not agreed yet. Security don't want the fragment protection rolled back as a whole. Options on the table:\n"
        "- an exception for RADIUS between the controller and server subnets;\n"
        "- a shorter certificate chain on the RADIUS servers.\n"
    )
    assert parse(doc, source_id="x.md").reason == "draft"


def test_a_lettered_list_is_a_list():
    doc = STORY + (
        "## Root cause\n\nA storage controller failed and its partner did not take over the volumes.\n\n"
        "## Resolution\n\nThe supplier replaced the controller and the volumes came back online at 14:10.\n\n"
        "## Follow-up actions\n\n"
        "  a) Ask the supplier to share controller health alerts with our on-call.\n"
        "  b) Test failing over to the secondary site.\n"
    )
    assert parse(doc, source_id="x.txt").fields["action_items"] == [
        "Ask the supplier to share controller health alerts with our on-call.",
        "Test failing over to the secondary site.",
    ]


def test_a_comment_that_opens_the_analysis_brings_the_sentences_after_it():
    text = """# Morning slowdown on course pages

**Description**

From 08:52 course-api latency climbed to 9 s and logins timed out.

**Comments**

*Ingrid - 10/Sep 17:40*
Root cause write-up.

Traffic at term start is a wall, not a ramp: requests went from 900 to 10,400 per second in ten minutes. The autoscaler adds at most four pods a minute.

*Ingrid - 16/Sep 15:20*
Permanent fix merged: scheduled scaling raises minReplicas at 07:45 on term weekdays.
"""
    p = parse(text, source_id="COPS-2291.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("Traffic at term start is a wall")
    assert "write-up" not in p.fields["root_cause"]


def test_what_we_found_is_the_cause_and_what_we_did_the_fix():
    text = """### PIR-2024-019: Theatre lists unresponsive

**When:** 6 March, 08:15-09:05. **Who was affected:** theatre coordinators; screens took a minute to load.

**What we found:** an ad-hoc report run against the live database held locks on the session and case tables. Every list update queued behind it.

**What we did:** the DBA killed the report's session at 09:02 and the lists recovered within three minutes.
"""
    p = parse(text, source_id="pir.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("an ad-hoc report run against the live database held locks")
    assert p.provenance["root_cause"] == "label: What we found"
    assert "killed the report's session" in p.fields["fix"]


def test_a_thread_whose_latest_word_is_that_nothing_is_deployed_yet_is_a_draft():
    still = ISSUE_THREAD.replace(
        "We set the new variable to 28 days in the Westmark file and applied it at 11:20; slots are visible again. Closing.",
        "Still waiting on the module owners. Nothing deployed yet, bookings still failing.",
    )
    p = parse(still, source_id="issue.md")
    assert p.reason == "draft" and "Nothing deployed yet" in p.detail


def test_an_issue_left_open_for_its_follow_ups_is_finished():
    follow_ups = ISSUE_THREAD.replace(
        "slots are visible again. Closing.", "slots are visible again.\n\n**@lena** commented on Oct 22, 2024\n\nLeaving the issue open until the unchecked items are done."
    )
    p = parse(follow_ups, source_id="issue.md")
    assert p.reason is None, p.detail
    assert "applied it at 11:20" in p.fields["fix"]
    # Left open with no such reason, it is still unfinished.
    assert parse(follow_ups.replace(" until the unchecked items are done", ""), source_id="issue.md").reason == "draft"


def test_a_bare_field_name_over_its_list_is_its_section():
    # A PDF's table cell comes out as its name on a line, then the cell's bullets.
    doc = (
        "# Reminder SMS not sent\n\n## What caused it\n\nThe gateway API key expired and every send returned 401.\n\n"
        "## Section Detail\n\nResolution\n- 12:40 a new API key was generated and stored in Vault\n"
        "- 15:20 reminder-dispatcher restarted with the new key; first successful send 15:35\n\n"
        "## Timeline\n\n15:20 dispatcher restarted.\n"
    )
    p = parse(doc, source_id="x.md")
    assert p.fields["fix"].startswith("- 12:40 a new API key was generated") and p.provenance["fix"] == "heading: Resolution"
    # A quick write-up's own section names may hold a number ("why it took 77 min").
    quick = "# Manifest 404s\n\ncause\n* the release job shipped the staging chunk path\n\nfix\n* re-published the manifest with the live chunk path\n\nwhy it took 77 min\n* the 404 alert looked like a blip\n"
    assert parse(quick, source_id="x.md").fields["fix"] == "* re-published the manifest with the live chunk path"


def test_a_terse_notes_bare_words_over_indented_blocks_are_its_sections():
    note = """ops incident note: nodes flapping
date:    2024-09-16
status:  closed

symptom
  compute nodes go NOT_RESPONDING and come back 1-3 min later.

cause
  ARP neighbour table overflow on the head node after the expansion pushed the
  number of hosts past the kernel default limit.

fix (07:40)
  raised gc_thresh1/2/3 on both head nodes, persisted in the ansible role.
  flapping stopped within a minute.

todo
  - same sysctls on the storage servers
"""
    p = parse(note, source_id="note.txt")
    assert p.reason is None, p.detail
    assert p.provenance["root_cause"] == "heading: cause" and p.fields["root_cause"].startswith("ARP neighbour table overflow")
    assert p.provenance["fix"] == "heading: fix (07:40)" and "raised gc_thresh1/2/3" in p.fields["fix"]
    # In a code fence, a word over an indented line is the code's.
    fenced = "# Nodes flapping\n\n```\n" + note + "```\n\nThe nodes flapped because the ARP table overflowed; we raised its limits.\n"
    assert parse(fenced, source_id="note.md").provenance.get("root_cause") != "heading: cause"


def test_a_part_that_suffered_a_fault_is_the_cause_and_another_departments_repair_the_fix():
    mail = """Subject: [cluster-users] Licences unavailable on Thursday - what happened

Dear users,

Yesterday between 10:05 and 15:40, jobs that needed a MATLAB licence could not start.

The licence servers are virtual machines run by the university's central IT Services. At about 10:00 the storage
array behind their platform suffered a controller fault, and a set of virtual machines froze, including both licence
servers. IT Services restored the storage, restarted the affected VMs, and licences were handed out again from 15:40.

Regards,
Research Computing
"""
    p = parse(mail, source_id="licences.txt")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("At about 10:00 the storage array behind their platform suffered a controller fault")
    assert "IT Services restored" not in p.fields["root_cause"]
    assert "IT Services restored the storage" in p.fields["fix"]


def test_an_affected_services_who_or_where_is_no_part_of_its_name():
    doc = """# Transit loss at the Manchester PoP

**Services affected:** IP transit for customers homed on the Manchester PoP; SIP trunks for those customers; till prices in all stores

## Root cause

A line card in the edge router failed.

## Resolution

We moved the customers to the spare card.
"""
    assert parse(doc, source_id="x.md").fields["services_affected"] == ["ip transit", "sip trunks", "till prices"]
    # Where another name follows the place, the item is not cut short.
    two = doc.replace("till prices in all stores", "label printing at Hamburg and handheld scanners at Hamburg")
    assert "handheld scanners" in " ".join(parse(two, source_id="x.md").fields["services_affected"])
    # An "and" inside the name's aside joins no two names; the aside goes with the where.
    aside = doc.replace("till prices in all stores", "live event playback (HLS and DASH) for the cup final")
    assert parse(aside, source_id="x.md").fields["services_affected"][-1] == "live event playback"
    # A listed name with a sentence after it on its line is still cut.
    long_item = doc.replace(
        "**Services affected:** IP transit for customers homed on the Manchester PoP; SIP trunks for those customers; till prices in all stores",
        "## Affected\n\n- **VOD playback** for any title packaged more than three days before the incident. At the peak 71% of plays failed.\n- **Origin storage**",
    )
    assert parse(long_item, source_id="x.md").fields["services_affected"] == ["vod playback", "origin storage"]


def test_a_timeline_whose_entry_says_the_cause_is_clear_tells_it_there():
    text = """# Scanner app crash in two warehouses

Short write-up, mostly timeline. Team Logistics IT, 21.03.2024.

Picking in both distribution centers was stopped or very slow for about two hours.

## Timeline

- **05:30** - Device management starts the rollout of PickMate 4.12.0 to all scanners.
- **05:52** - Scanners show "PickMate has stopped" directly after login.
- **06:40** - **Cause clear: the 4.12 release ships a scan library that needs Android 9, and the older scanners run Android 8.1.**
- **06:45** - Rollback to 4.11.3 for all devices; picking normal at 08:05.
"""
    p = parse(text, source_id="scanner.md")
    assert p.reason is None, p.detail
    assert "Cause clear: the 4.12 release ships a scan library that needs Android 9" in p.fields["root_cause"]
    assert "Short write-up" not in p.fields["root_cause"]


def test_why_it_did_not_happen_before_is_no_cause():
    text = """# Delayed card payments on 7 February

Posted Feb 8, 2024

Card payments took up to 40 seconds to confirm between 14:05 and 15:20. Our own systems were healthy; the delays
came from our primary card acquirer, whose authorization gateway was having an outage. Our automatic failover did
not trigger because the acquirer returned slow successes rather than errors.

We switched card traffic to the secondary acquirer by hand at 15:18 and confirmations were instant again.
"""
    p = parse(text, source_id="payments.html")
    assert "the delays came from our primary card acquirer" in p.fields["root_cause"].replace("\n", " ")


def test_a_cause_found_run_on_into_its_sentence_is_told_there():
    text = """# Notifications delayed on grade release day

## Timeline

- **12:41** - Outbox lag alert fires.
- **13:05** - Scaling the notifier made it worse. Scaled back to 6.
- **14:05** - **Cause found.** `pg_stat_activity` shows one session idle in transaction for two days. Because that transaction is still open, vacuum cannot remove the outbox's dead rows.
- **14:09** - Terminated the session with pg_terminate_backend and vacuumed the outbox; lag cleared by 15:05.
"""
    p = parse(text, source_id="outbox.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("pg_stat_activity shows one session idle in transaction")


def test_a_callouts_icon_before_its_bold_title_leaves_it_a_label():
    doc = """# Stale features served to fraud scoring

## What happened

On Monday we merged PR 2291, which tidied the chart's Redis settings.

<aside>
💡 **Root cause**

The Helm values refactor renamed the Redis endpoint variable for serving but not for the materializer CronJob.

</aside>

## Resolution

Added the variable to the materializer template and deleted the stale secret.
"""
    p = parse(to_markdown(doc.encode(), "x.md")[0], source_id="x.md")
    assert p.provenance["root_cause"] == "label: Root cause"
    assert p.fields["root_cause"].startswith("The Helm values refactor renamed the Redis endpoint variable")


def test_a_known_defect_in_the_software_is_the_cause_before_the_symptoms_told_first():
    text = """# Scratch filesystem hang

On 3 October an ls in a scratch directory never returned and jobs sat waiting until they ran out of wall time.
The kernel log on the metadata server showed service threads blocked, with "lock callback timer expired" messages.
By early afternoon we had matched those stack traces to a known deadlock in the lock handling of the Lustre
version we run, 2.15.3. It only shows up when one client renames files in a huge directory that many others list.

We failed the metadata service over to its partner at 15:10, which cleared the hang, and later upgraded to 2.15.5.
"""
    p = parse(text, source_id="scratch.md")
    assert p.fields["root_cause"].startswith("By early afternoon we had matched those stack traces to a known deadlock")
    assert Taxonomy.default().classify_incident("Scratch filesystem hang", p.fields["root_cause"], p.fields["fix"]) == "software-bug"


def test_a_fix_still_being_chosen_in_a_corrective_actions_section_is_a_draft():
    text = """# 8D-0042: Conveyor PLC dropping off the network

**D2 Problem description**
Since Monday the conveyor PLC in hall 3 drops its connection every few hours and the line stops.

**D3 Containment**
An operator power-cycles the PLC when the line stops. In place since Tuesday.

**D4 Root cause**
The new access point in the hall transmits on the same channel as the PLC's bridge, at full power.

**D5 Corrective actions**
To be decided. Options under discussion:
- move the access point to another channel
- wire the PLC instead
"""
    p = parse(text, source_id="8d.md")
    assert p.reason == "draft", p.detail
    assert "To be decided" in p.detail


def test_a_preliminary_review_without_an_end_to_the_impact_is_a_draft():
    for status, body_end in (
        ("Tracking ID 4Q1-ZZ · Last updated 9 May · Impact ongoing for some customers", "Engineers are testing a tool to fix loaded partitions."),
        ("Tracking ID 4Q1-ZZ · Last updated 9 May", "We do not yet have an estimated time for full mitigation."),
        ("> Incident still open. Please do not quote these figures yet.", "Engineers are testing a tool to fix loaded partitions."),
        ("Tracking ID 4Q1-ZZ · Last updated 9 May", "Dashboards for that window are still wrong as of this writing."),
    ):
        text = f"""Preliminary review: message delays in one region

{status}

Since 08:00 some queues in the region have delivered messages late. We have established that this began with a change to
the throttling limits of the partition layer, which also lowered the per-partition limit. Reverting the change at 10:30 only
helped partitions that were reloaded afterwards. {body_end}
"""
        p = parse(text, source_id="pir.md")
        assert p.reason == "draft", (status, body_end, p.reason, p.fields.get("fix"))


def test_options_for_follow_ups_do_not_make_a_finished_review_a_draft():
    text = """# Search outage

## Root cause
A mapping change to the search index was applied without a reindex, so every query failed.

## Resolution
We reverted the mapping at 10:40 and search recovered.

## Follow-ups
- Alert on query error rate. Owner: Ana.
"""
    p = parse(text, source_id="search.md")
    assert p.reason is None, p.detail


def test_a_provider_agreeing_to_raise_a_limit_is_the_fix():
    text = """# Password reset emails late during the spring promotion

Reset emails took up to two hours to arrive on Saturday afternoon; nothing else was affected.

The reason was volume: the promotion sent 400,000 emails in an hour, and our plan with the email provider allows
20 per second, so the outbound queue could not keep up.

At 15:10 the provider agreed to raise our limit to 200 per second for the weekend.
"""
    p = parse(text, source_id="resets.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("At 15:10 the provider agreed to raise our limit")


def test_an_itil_report_names_its_cause_statement_and_business_services():
    text = """# Major Incident Report MIR-0311: branch payments delayed

**Business Services Impacted:** branch payments, teller cash drawer

**Summary**

Branch payments queued for two hours on Tuesday morning. Our first suspicion was the overnight patch to the payments host.

**Root Cause Statement**

The certificate on the clearing gateway's queue manager expired at midnight, so its channel could not start and payments queued.

**Resolution Details**

A new certificate was issued and the channel restarted; the queue drained by 09:40.
"""
    p = parse(text, source_id="mir.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The certificate on the clearing gateway's queue manager expired")
    assert p.provenance["root_cause"] == "label: Root Cause Statement"
    assert p.fields["services_affected"] == ["branch payments", "teller cash drawer"]


def test_why_the_author_is_writing_it_up_is_no_cause():
    text = """# dashboards blank (jun 3)

kai here. writing this up because it was my fault, and because the alert was useless (it wasn't, i muted it).

around 10:10 people noticed every chart on the ops dashboards was empty. the collector itself was fine.

so what happened: at 09:50 i rotated the read token for the metrics api and forgot the dashboards still used the old one.

the fix was putting the new token in the dashboard datasource at 10:35; charts came back at once.
"""
    p = parse(text, source_id="dash.md")
    assert p.reason is None, p.detail
    assert "writing this up" not in p.fields["root_cause"]
    assert p.fields["root_cause"].startswith("at 09:50 i rotated the read token")
    assert p.provenance["root_cause"] == "label: so what happened"


def test_fixed_and_resolution_as_adjectives_tell_no_fix():
    for sentence in (
        "The older fixed-focus scanners at the gates could not separate the modules.",
        "The API runs a fixed pool of 40 database connections per host.",
        "The effect was worse on low-resolution devices.",
        "Lookups failed with a DNS resolution error on the package mirror.",
    ):
        assert not FIX_CUES.search(sentence), sentence
    assert FIX_CUES.search("We have since deployed a fixed version of the agent.")


def test_the_cause_summed_up_in_short_names_it_outright():
    assert STRONG_CAUSE.search("The cause, in short, was the library upgrade that shipped in 7.14.0.")


def test_what_had_actually_changed_names_the_cause_outright():
    assert STRONG_CAUSE.search("What had actually changed was on our side.")
    assert STRONG_CAUSE.search("What really broke was the retry loop in the client.")
    assert STRONG_CAUSE.search("What broke was capacity, not code.")
    assert not STRONG_CAUSE.search("What changed for customers was mostly the wait.")


def test_a_plain_text_letterhead_gives_way_to_the_line_that_names_the_incident():
    from pipeline.ingest.formats import to_markdown

    note = """BRAMBLE LOGISTICS - INCIDENT NOTE
label-print timeouts at the Leeds depot
======================================

who:   platform on-call
when:  Tue 09:10 - 10:05 UTC

actual cause
- the 09:00 firewall change dropped the printer subnet from the allow list

fix
- 10:02 added the subnet back to the allow list; printing resumed
"""
    setext = """HOLLY TELECOM - NOC INCIDENT REPORT
===================================
Report ref   : NIR-24-0107
Service      : Business broadband - Harrow exchange
Status       : Closed

ROOT CAUSE
A line card in the Harrow aggregation router failed and its standby did not take over.

RESOLUTION
The line card was replaced at 11:40 and all sessions came back.
"""
    p = parse(to_markdown(note.encode(), "note.txt")[0], source_id="note.txt")
    assert p.fields["incident_title"] == "label-print timeouts at the Leeds depot"
    p = parse(to_markdown(setext.encode(), "nir.txt")[0], source_id="nir.txt")
    assert p.fields["incident_title"] == "Business broadband - Harrow exchange"
    assert p.provenance["incident_title"] == "letterhead: service line"


INTERIM_REPORT = """# Incident Report (Interim)

## Card payment errors at the Northfield stores

### 1. Overview

On 3 June card payments failed at four stores for 50 minutes. Service returned after the payment gateway was restarted.

### 4. Cause

**Direct cause:** Under investigation.

**Root cause:** To be described in the final report.

### 5. Countermeasures

**Provisional countermeasure:** the payment gateway was restarted at 10:40.
"""


def test_an_interim_report_whose_cause_is_left_to_the_final_report_is_a_draft():
    p = parse(INTERIM_REPORT, source_id="interim.md")
    assert p.reason == "draft", p.detail


def test_a_heading_that_is_only_the_report_kind_and_stage_gives_way_to_the_incident_below():
    final = (
        INTERIM_REPORT.replace("(Interim)", "(Final)")
        .replace("Under investigation.", "The gateway's certificate store was full after a renewal job looped.")
        .replace("To be described in the final report.", "The renewal job had no limit on retries.")
    )
    p = parse(final, source_id="final.md")
    assert p.reason is None, p.detail
    assert p.fields["incident_title"] == "Card payment errors at the Northfield stores"
    memo = final.replace("## Card payment errors", "Re: Card payment errors")
    assert parse(memo, source_id="memo.md").fields["incident_title"] == "Card payment errors at the Northfield stores"


def test_a_council_reports_open_access_class_is_no_draft_status():
    text = """# Payroll file rejected by the bank

**Status:** Open — for information and assurance

## Root cause
The quarterly patch to the payroll system added a byte-order mark to every exported file, and the bank's bureau rejected the file.

## Resolution
The file was regenerated without the mark and resubmitted the same afternoon; staff were paid on time.
"""
    assert parse(text, source_id="report.md").reason is None
    assert parse(text.replace("Open — for information and assurance", "Open"), source_id="report.md").reason == "draft"


def test_re_running_what_failed_is_a_fix():
    text = """# Nightly invoices were not sent on 4 March

Our object storage provider rejected most writes between 01:10 and 01:25 UTC, so the invoice job could not store its PDFs
and marked every invoice as failed.

We re-ran every failed invoice by 09:30 UTC, and all customers had theirs before noon.
"""
    p = parse(text, source_id="invoices.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("We re-ran every failed invoice")


def test_recurrence_prevention_measures_are_the_action_items():
    assert classify_label("6. Recurrence prevention measures") == "action_items"
    assert classify_label("Recurrence prevention") == "action_items"


def test_a_capa_report_s_immediate_correction_is_the_fix():
    doc = """# CAPA record: sample registration frozen

## Description of nonconformance

Registration screens hung on Save for forty minutes on Monday morning.

## Immediate correction

- Reception switched to paper registration.
- The database administrator killed the blocking billing session; registration recovered at 08:47.

## Root cause analysis

**Root cause:** the month-end billing job ran against the production database instead of the replica and took a table lock.

## Corrective action

| # | Action | Owner |
|---|---|---|
| 1 | Removed the job's fallback to production | DBA |

## Preventive action

| # | Action | Owner |
|---|---|---|
| 1 | Alert on blocking sessions over 60 s | DBA |
"""
    p = parse(doc, source_id="capa.md")
    assert p.reason is None, p.detail
    assert "killed the blocking billing session" in p.fields["fix"]
    assert p.provenance["fix"] == "heading: Immediate correction; heading: Corrective action"
    # The corrective action removed the cause: part of the fix. The preventive one follows up.
    assert "Removed the job's fallback to production" in p.fields["fix"]
    assert p.fields["action_items"] == ["Alert on blocking sessions over 60 s"]


def test_a_sentence_that_points_at_the_cause_brings_the_sentence_it_points_at():
    ahead = """# Receipts not sent on appeal day

Lots of donors wrote in on Friday asking where their receipts were. Dev logged in to the email-sending service the website uses and found the reason straight away. We are on its free plan, which only sends 300 emails a day, and appeal day went through 300 by lunchtime.

Moving to the paid plan that afternoon fixed it, and we re-sent every missing receipt.
"""
    p = parse(ahead, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("We are on its free plan, which only sends 300 emails a day"), p.fields["root_cause"]
    behind = """# blob-07 degraded

## Timeline

- 11:26 Upload latency alert pages storage on-call.
- 11:48 The controller log on blob-07 shows its cache battery failed and the cache fell back to write-through. That's the cause.
- 11:52 blob-07 set to maintenance; traffic served from the other nodes.

## Resolution

The vendor replaced the controller battery the next day.
"""
    p = parse(behind, source_id="y.md")
    assert p.reason is None, p.detail
    assert "shows its cache battery failed" in p.fields["root_cause"], p.fields["root_cause"]


def test_the_cause_announced_before_a_colon_names_it_outright():
    assert STRONG_CAUSE.search("So the cause is simple to state: the upgrade changed a default.")
    assert STRONG_CAUSE.search("The root cause was twofold: a stale template and no canary.")
    assert not STRONG_CAUSE.search("The cause is still being discussed with the vendor.")


def test_why_a_test_environment_missed_it_is_no_cause():
    doc = """# Bus tracker map blank

Release 4.12.0 of the rider web went out at 12:30 with the upgraded map library, and one call in our clusters plugin was never updated for it.

The map loaded as a grey box from 12:31. It didn't show in staging because staging serves a cached bundle of the old build.

Rolled back to 4.11.3 at 13:14, which fixed it.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("Release 4.12.0 of the rider web went out"), p.fields["root_cause"]


def test_stopping_the_job_that_held_things_up_is_the_fix():
    doc = """## Check-in failures, 30 April

Between 08:05 and 09:50 document check-in failed in every office.

The cause was on the database side: the weekly index rebuild ran far longer than usual and held locks on the version table, so every check-in queued behind it.

The DBA stopped the rebuild at 09:46; check-ins were succeeding by 09:50.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("The DBA stopped the rebuild at 09:46")
    # Something that stopped for the jobs is a symptom, not what someone did.
    assert not FIX_CUES.search("Live log streaming also stopped for jobs that were already running.")


def test_a_cause_corrected_in_a_later_update_replaces_the_first_one():
    doc = """# Learn slowness during exam week

## Trigger

*(As understood on 17 May; corrected below.)* A surge in concurrent quiz attempts on the first morning of exams.

## Resolution

We added web nodes and tuned PHP-FPM.

## Update (day 3)

The load was not unusual; the database iowait was the real bottleneck.

**Corrected root cause:** a configuration sync from staging re-enabled automated course backups with a daytime schedule, and the backup job saturated the shared storage.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("a configuration sync from staging re-enabled automated course backups"), p.fields["root_cause"]
    assert "surge in concurrent quiz attempts" not in p.fields["root_cause"]


def test_a_records_incident_line_names_it_where_no_heading_does():
    doc = """**Incident:** Cash Out failing during the cup final
**Date:** Saturday 25 May 2024
**Severity:** SEV-1

## What happened

A config change cut the quote cache's pool size; the cause was the smaller pool under match-day load.

## Resolution

We restored the pool size at 18:40, which fixed it.
"""
    p = parse(doc, source_id="2024-05-25-cash-out.md")
    assert p.fields["incident_title"] == "Cash Out failing during the cup final"
    assert p.provenance["incident_title"] == "label: incident"
    # An id is no name: the file name stays.
    by_id = parse(doc.replace("Cash Out failing during the cup final", "INC-5302"), source_id="2024-05-25-cash-out.md")
    assert by_id.fields["incident_title"] == "cash-out"


def test_a_plain_tl_dr_line_is_the_summary():
    doc = """TL;DR: surge-pricing 2.14.0 started applying the surge multiplier to the fee itself but still sent it to fee-quote, which applied it again. rolled back at 11:02 UTC.

---

**incident:** surge orders overcharged on delivery fee
**reported by:** CS (3 tickets by 09:30)

### timeline (UTC)
- 08:20 surge-pricing 2.14.0 deploy finishes
- 11:02 rollback to 2.13.3 complete, fees match the dashboard again
"""
    p = parse(doc, source_id="surge.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("surge-pricing 2.14.0 started applying the surge multiplier"), p.fields["root_cause"]


def test_a_provider_that_had_a_failure_is_the_cause():
    doc = """# Rewards unavailable, 2 April

Short note for the ops managers' weekly pack. — Dev Rathore, Regional IT

From 09:15 to 12:40 Rewards was down for every hotel. Front desks could not look up members.

Nothing had changed on our side. The company that hosts the Rewards platform had a failure in its cloud provider's London region, and all its UK customers were down at the same time.

Service came back when they moved to their secondary region at 12:40, which restored it.
"""
    p = parse(doc, source_id="x.md")
    assert p.reason is None, p.detail
    assert p.fields["root_cause"].startswith("The company that hosts the Rewards platform had a failure"), p.fields["root_cause"]


def test_a_kind_and_id_under_a_letterhead_gives_way_to_the_incidents_name():
    doc = """# National Digital Care Agency
## Serious Service Incident Report — SSI-2024-007
### GP record transfers held at "awaiting acknowledgement"

## 1. Cause

1.1 The root cause was a certificate expired on the transfer gateway.

## 2. Remediation

2.1 The certificate was renewed at 11:30, which restored transfers.
"""
    p = parse(doc, source_id="ssi.md")
    assert p.fields["incident_title"] == 'GP record transfers held at "awaiting acknowledgement"'


def test_sign_ups_and_follow_ups_are_no_ups():
    tax = Taxonomy.default()
    assert tax.scores("Rota sign-ups vanishing; follow-ups pending")["hardware"] == 0
    assert tax.scores("The UPS in the comms room failed")["hardware"] > 0


def test_fans_in_a_queue_are_no_cooling_fans():
    tax = Taxonomy.default()
    assert tax.scores("Fans who had waited in the queue for an hour were stuck on the seat map")["hardware"] == 0
    assert tax.scores("The proxy fans them out to every edge node")["hardware"] == 0
    assert tax.scores("The core switch's fan tray failed and it overheated")["hardware"] > 0
    assert tax.scores("The cabinet fan is not spinning")["hardware"] > 0


def test_why_it_was_not_caught_is_hindsight_inside_the_cause_section():
    # A risk report's root cause analysis: the direct cause, then why the checks missed it.
    doc = """# Major Incident Report: card declines at ATMs

## 5. Root cause analysis

### 5.1 Direct cause
The new PIN key was loaded into only one of the two security modules, so half of the PIN checks used the retired key.

### 5.2 Why it was not caught
- The post-change test sent one PIN block, which happened to reach the updated module.
- Nothing compares key check values across the pool.

## 6. Resolution
The key was loaded into the second module and it was returned to the pool.
"""
    p = parse(doc, source_id="mir.md")
    assert p.fields["root_cause"].startswith("The new PIN key was loaded into only one")
    assert "post-change test" not in p.fields["root_cause"]
    for heading in ("Why it was not caught", "Why this wasn't detected sooner", "Why it went unnoticed"):
        assert classify_label(heading) == "hindsight"


def test_a_cause_named_as_the_sentences_subject_and_replies_coming_in_is_detection():
    # No headings: the cause is the subject of "... was the whole cause", and the first timed
    # event is readers telling us, not what set it off.
    doc = """# Newsletter sent to the wrong list

The producer copied last week's campaign and kept its audience setting. The copied audience setting was the whole cause; the platform did what it was told.

At 15:04 the first replies came into the newsletters inbox asking why they got it. We fixed it by cancelling the rest of the send at 15:14.
"""
    p = parse(doc, source_id="news.md")
    assert "The copied audience setting was the whole cause" in p.fields["root_cause"]
    assert "15:04" not in p.fields["root_cause"]


def test_a_wrapped_line_that_starts_like_a_label_goes_on_with_its_sentence():
    # Hard-wrapped prose: "at" ends one line, "fault: we had pushed ..." starts the next. That is
    # the first guess of the responders, not a "Fault:" label giving the cause.
    doc = """# Bag tags missing from the baggage system

## How we found it

The first assumption on the ramp was that the scanners were at
fault: we had pushed new handheld firmware the previous week. Forty minutes
went into swapping handhelds before anyone checked the queue.

## Why the queue filled

So the root cause is a capacity limit: the surge of messages from mass rebooking
filled the inbound queue, and the messages after that were discarded.

## What we did

We raised the queue's maximum depth and started four more consumers.
"""
    p = parse(doc, source_id="brs.md")
    assert p.fields["root_cause"].startswith("So the root cause is a capacity limit")
    assert "handheld firmware" not in p.fields["root_cause"]


def test_a_time_wrapped_onto_the_next_line_stays_in_its_sentence():
    # "... cleared their backlog at" / "19:10, and we moved ...": one sentence, not a sentence
    # cut short and a timeline entry.
    text = ("At 17:20 we switched EU traffic onto the fallback path with a feature flag. Relaycast cleared their backlog at\n"
            "19:10, and we moved EU traffic back to them at 20:00 after watching their latency.")
    assert "Relaycast cleared their backlog at 19:10, and we moved EU traffic back to them at 20:00 after watching their latency." in sentences(text)
    # A timeline's entries stay entries.
    assert sentences("09:12 Alerts fire.\n09:15 Rollback started.") == ["09:12 Alerts fire.", "09:15 Rollback started."]


def test_a_corrective_action_section_beside_further_actions_is_the_fix():
    doc = """# Site radio network outage after a lightning strike

## 4. Cause

A lightning strike on the hill tower destroyed the trunking controller's power supply.

## 5. Corrective action

Immediate: the transportable repeater trailer was deployed on the hill and restored voice radio at 21:10.
Next day the controller's power supply was replaced from site spares.

## Further actions

- Replace the feedline arrestors with units to the current standard.
- Keep a spare controller power supply on site.
"""
    p = parse(doc, source_id="radio.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("Immediate: the transportable repeater trailer was deployed")
    assert p.fields["action_items"] == ["Replace the feedline arrestors with units to the current standard.", "Keep a spare controller power supply on site."]


def test_corrective_actions_that_open_on_what_was_done_at_once_give_the_fix():
    doc = """# Haul truck positions lost in the fleet system

## Cause

A regional outage of the correction service stopped correction data reaching the truck receivers.

## Corrective action

Immediate (done during the event):

1. 07:10 – The position filter was reconfigured to accept up to 5 m accuracy; truck icons came back within a minute.
2. The vendor restored corrections at 08:20 and the filter was set back to 0.5 m.

Longer term:

- Configure all truck receivers to fall back to the local base station.
- Alarm when more than a fifth of the fleet has a stale position.
"""
    p = parse(doc, source_id="fms.md")
    assert p.reason is None, p.detail
    assert "position filter was reconfigured" in p.fields["fix"]
    assert "fall back to the local base station" not in p.fields["fix"]
    assert p.fields["action_items"] == [
        "Configure all truck receivers to fall back to the local base station.", "Alarm when more than a fifth of the fleet has a stale position.",
    ]


@pytest.mark.parametrize("heading", ["Remedial actions", "4. Remedial actions (completed)", "Remedial measures"])
def test_a_contractors_remedial_actions_are_what_was_done(heading):
    assert classify_label(heading) == "fix"
    assert classify_label("Preventive measures") == "action_items"


@pytest.mark.parametrize("heading", ["REPAIR CARRIED OUT", "Repairs made", "Work carried out", "3. Immediate actions taken"])
def test_a_maintenance_forms_repair_section_is_the_fix(heading):
    doc = f"""# Conveyor C4 stopped

## Fault description

Conveyor C4 stopped at 09:10 and parcels backed up on the induct lines.

## Root cause

The drive motor's thermal overload tripped because its cooling fan had seized.

## {heading}

Fan replaced with a spare from stores and the overload reset; C4 ran again at 10:02.
"""
    p = parse(doc, source_id="c4.txt")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("Fan replaced with a spare")
    assert p.provenance["fix"] == f"heading: {heading}"


@pytest.mark.parametrize("heading", ["1. BRIEF DESCRIPTION OF EVENT", "Problem description", "Summary of incident", "Event summary"])
def test_a_forms_description_of_the_event_is_its_summary(heading):
    assert classify_label(heading) == "summary"
    assert classify_label("Short description") == "title"


def test_an_abbreviation_with_its_period_does_not_end_the_sentence():
    assert sentences("At approx. 02:14 the control room lost telemetry, incl. Crane Lane. Radio was ruled out.") == [
        "At approx. 02:14 the control room lost telemetry, incl. Crane Lane.", "Radio was ruled out.",
    ]


@pytest.mark.parametrize("source_id, title", [
    # A scan named by its record's number: the description's first line tells what happened.
    ("RWB-IR-2024-031_OCR.txt", "The control room lost telemetry from 14 outstations on the northern radio group"),
    # A file name in words is the writer's own title for it.
    ("telemetry-loss-northern-group.txt", "telemetry-loss-northern-group"),
])
def test_a_file_named_by_its_number_is_titled_by_its_description(source_id, title):
    doc = """RAVELFORD WATER - OT INCIDENT REPORT
Form OT-7 Rev. 4

## 1. Brief description of event

The control room lost telemetry from 14 outstations on the northern radio group. Pumps ran on local control.

## 2. Root cause

A firewall rule tidy-up deleted the object group that covers the newer outstation range.

## 3. Repair carried out

The rule and object group were re-instated under an emergency change and all outstations polled again.
"""
    p = parse(doc, source_id=source_id)
    assert p.reason is None, p.detail
    assert p.fields["incident_title"] == title


@pytest.mark.parametrize("label, field", [
    ("Cause notes", "root_cause"), ("Root cause description", "root_cause"),
    ("Fix notes", "fix"), ("Resolution notes", "fix"), ("Close notes", "fix"),
])
def test_a_service_desks_notes_fields_name_the_cause_and_the_fix(label, field):
    assert classify_label(label) == field


@pytest.mark.parametrize("label, field", [
    ("3. Reason of the disturbance", "root_cause"), ("4. Cause investigation", "root_cause"),
    ("Root cause investigation", "root_cause"), ("4. Taken measures", "fix"), ("Measures taken", "fix"),
])
def test_a_reports_headings_in_its_writers_second_language_name_the_cause_and_the_fix(label, field):
    assert classify_label(label) == field


def test_a_code_span_wrapped_over_two_lines_stays_in_its_sentence():
    text = ("- **Restore:** ran `airflow dags backfill orders_daily -s\n"
            "  2024-03-31 -e 2024-03-31`, then re-triggered `finance_email` and\n"
            "  `roas_daily` for the affected day.")
    assert sentences(text) == [
        "Restore: ran airflow dags backfill orders_daily -s 2024-03-31 -e 2024-03-31, then re-triggered finance_email and roas_daily for the affected day."
    ]


@pytest.mark.parametrize("top, title", [
    # An ITIL desk's record: its number and kind, where the page sits, then the problem's name.
    ("# PRB0043550 - Problem Record\n\nCorvina Air ITSM » Problem Management » PRB0043550\n\n## Mobile boarding passes could not be added to Apple Wallet\n",
     "Mobile boarding passes could not be added to Apple Wallet"),
    ("**Corvina Air | Problem Management**\n\n## PRB0041877: Booking engine requests to GDS timing out\n",
     "PRB0041877: Booking engine requests to GDS timing out"),
    # A PDF's running header: the contractor, the report's kind and number, the client.
    ("# Calloway Digital Services - Incident Report CDS-INC-20240302-04 - City of Westbrook\nIncident Report: Pay-by-Phone Parking Payments Failing\n",
     "Pay-by-Phone Parking Payments Failing"),
    ("# Problem Record PRB0009519\nCalderbrook Bank plc - Problem Management\nTitle Balance enquiry slowdown after the weekly rebind\n",
     "Balance enquiry slowdown after the weekly rebind"),
    # A site's event report whose "Event:" line names it.
    ("MT TARROW - PROCESS CONTROL - EVENT REPORT\n==========================================\nEvent:   SCADA historian data gap (process plant)\nDate:    04/03/24\n",
     "SCADA historian data gap (process plant)"),
    # Who sent the report, under the incident's own title, is no letterhead's line below.
    ("# Council Meeting Live Stream Interruptions - 9 April 2024\n\n*Incident report from Calloway Digital Services to the City Clerk's Office*\n",
     "Council Meeting Live Stream Interruptions - 9 April 2024"),
    # A committee's "Root Cause Analysis Report" and a ground segment's "Anomaly Report AR-..."
    # are kinds of report: the incident is named below them.
    ("# Northmoor Hospitals Group — Root Cause Analysis Report\n\n**Report reference:** RCA-IT-2024-003\n"
     "**Incident:** Unplanned downtime of the patient record system (all sites)\n",
     "Unplanned downtime of the patient record system (all sites)"),
    ("# Anomaly Report AR-2024-017\n\n## Lysvik ground station missed passes after an antenna update\n",
     "Lysvik ground station missed passes after an antenna update"),
    ("# Brightwater Space - Mission Operations Centre\nAnomaly Report AR-2024-019  |  Issue 2  |  Ground Segment\n"
     "AR-2024-019: Telemetry archive lost a day of stored telemetry\n",
     "AR-2024-019: Telemetry archive lost a day of stored telemetry"),
    # A number of several letter groups is one number all the same.
    ("# Brightwater Space - Mission Operations Centre\nAnomaly Report GS-AR-2024-021  |  Issue 1  |  Ground Segment\n"
     "Command link keys expired at the northern site\n",
     "Command link keys expired at the northern site"),
    # The kind and who wrote it, under the incident's own name, is a by-line.
    ("# ExamLock ID check outage – 10 December 2024\n\nPost-incident report · Digital Assessment Team, IT Services\n",
     "ExamLock ID check outage – 10 December 2024"),
])
def test_a_records_number_kind_and_organisation_give_way_to_the_line_that_names_it(top, title):
    doc = top + "\n## Root cause\n\nThe signing certificate expired.\n\n## Resolution\n\nA new certificate was issued and deployed.\n"
    markdown = to_markdown(doc.encode(), "report.txt")[0] if "=====" in top else doc
    assert parse(markdown, source_id="report.md").fields["incident_title"] == title


def test_that_failure_was_the_cause_brings_the_sentence_it_points_back_to():
    doc = """# Motion alerts delayed in Europe

We send push notifications through a third-party delivery service. We later learned from their incident report that a storage node in their EU queueing tier had failed and the remaining nodes were working through the backlog at reduced throughput. That failure was the cause of our incident; nothing on our side was changed or broken.

We switched EU traffic to the direct path, which fixed it.
"""
    p = parse(doc, source_id="alerts.md")
    assert p.fields["root_cause"].startswith("We later learned from their incident report that a storage node")


def test_a_resolution_whose_decision_is_still_to_be_taken_is_a_draft():
    doc = """# Tax calculation downloads failing during deadline week

**Findings to date.** The rendering service ran out of processing capacity under deadline-week demand.

**Resolution.** Failures stopped when demand fell back. The options for a permanent solution have been costed, but a decision is still to be taken by the leadership team.
"""
    p = parse(doc, source_id="review.md")
    assert p.reason == "draft", p.detail


def test_to_restore_service_we_tells_the_fix():
    doc = """# My orders missing recent orders

So the root cause was a single huge delete transaction on the orders primary that the read replica could only replay serially, which left the replica hours stale.

To restore service we switched the order history read path to the primary's read-only pool at 08:34 and left the replica to catch up.
"""
    p = parse(doc, source_id="OPS-5147.md")
    assert p.reason is None, p.detail
    assert p.fields["fix"].startswith("To restore service we switched the order history read path")


@pytest.mark.parametrize("top, title", [
    ("Calder Pharmacy Group – IT Operations incident review\n\n**Incident:** Online shop checkout failing for repeat prescriptions\n**Severity:** P2\n",
     "Online shop checkout failing for repeat prescriptions"),
    ("# Lessons Learned Review: Simple Assessment letters issued to incorrect addresses\n", "Simple Assessment letters issued to incorrect addresses"),
])
def test_a_lessons_learned_review_and_a_units_incident_review_are_kinds_of_report(top, title):
    doc = top + "\n## Root cause\n\nThe address file was built from a stale extract.\n\n## Resolution\n\nThe letters were reissued from a fresh extract.\n"
    assert parse(doc, source_id="review.md").fields["incident_title"] == title


@pytest.mark.parametrize("top, title", [
    ("Slack export: #inc-0412-quotes-lag\nChannel topic: SEV2 | Level 1 quotes lagging at the open | IC: dana.k\n"
     "Exported by dana.k on 2024-04-12\n", "Level 1 quotes lagging at the open"),
    ("# Slack | #inc-web-login | Mon Aug 5 2024\nTopic: Web login failing - SAML signature invalid\n",
     "Web login failing - SAML signature invalid"),
    ("# Export of #inc-chain-1008\nIncident: Options chain page timing out after a release\nMembers: Lu, Nina\n",
     "Options chain page timing out after a release"),
    ("channel: #inc-stmt-dates\npurpose: December statements showing the wrong year\n-----\n",
     "December statements showing the wrong year"),
])
def test_a_chat_channels_export_is_named_by_its_topic_not_its_channel(top, title):
    doc = top + "\n[09:14] ana: the signing certificate expired, that is the root cause\n[09:20] ana: fixed by issuing a new certificate\n"
    p = parse(to_markdown(doc.encode(), "inc.txt")[0], source_id="inc.txt")
    assert p.fields["incident_title"] == title


def test_an_anomaly_reports_probable_cause_is_its_cause_and_a_fix_to_be_defined_is_a_draft():
    closed = """# Anomaly Report AR-2024-036

## Station recorder stopped storing frames

## Probable cause

The higher data rate filled the recorder disk under the 30-day retention.

## Corrective action

Retention cut to 14 days and the disk expanded.

## Preventive action

Disk usage alarm at 80 %.
"""
    p = parse(closed, source_id="ar.md")
    assert p.fields["root_cause"].startswith("The higher data rate filled the recorder disk")
    # Why someone acted is no guess at the cause.
    acted = closed.replace("The higher data rate filled the recorder disk under the 30-day retention.",
                           "A clean-up removed the firewall rule for the stations because it appeared unused.")
    assert parse(acted, source_id="ar.md").fields["root_cause"].startswith("A clean-up removed the firewall rule")
    open_one = closed.replace("Retention cut to 14 days and the disk expanded.",
                              "To be defined. Interim: critical commands only on long passes.")
    assert parse(open_one, source_id="ar.md").reason == "draft"


def test_a_work_notes_found_it_brings_the_finding_after_it():
    doc = """# Tracking page showing old scans

WORK NOTES

- **2024-03-12 09:46 - Conor H**: Decision on bridge: roll back 4.13.0 now.
- **2024-03-12 09:31 - Priya R**: Found it. 4.13.0 added a synchronous call to the address service for every scan event, so each consumer is capped at 30 events per second.
- **2024-03-12 09:02 - Tomasz W**: Kafka brokers healthy, not the cause.

Close notes: Scan ingest rolled back to 4.12.3 and the backlog drained.
"""
    p = parse(doc, source_id="INC0418827.md")
    assert "4.13.0 added a synchronous call to the address service" in p.fields["root_cause"]


def test_what_is_done_to_prevent_a_recurrence_is_no_fix_and_ending_the_blocking_query_is():
    doc = """Subject: Follow-up on the delayed payroll file

Dear customer,

The file generation job waits for a lock on the payment batch tables. An analyst's ad-hoc query on the primary database held that lock for four hours, so the job never started.

Once we understood that the job was blocked, our database engineer ended the analyst's query at 18:41, the lock was released and the job ran immediately.

To prevent this from happening again, we have removed lock privileges on the payments database from analyst accounts.
"""
    p = parse(doc, source_id="letter.md")
    assert p.fields["fix"].startswith("Once we understood that the job was blocked, our database engineer ended the analyst's query")
    assert "To prevent this" not in p.fields["fix"]


def test_a_problem_records_abstract_diagnosis_and_circumvention():
    # An operations problem record: the abstract names it, the diagnosis tells the cause, the
    # circumvention and resolution what was done; its root cause code only classifies.
    doc = """PROBLEM ID: PR23-0412
ABSTRACT: NIGHTLY LEDGER EXTRACT NGLX100D ABEND SB37 ON OUTPUT
    DATASET IN STEP020
STATUS: CLOSED

SYMPTOM:
 IEC031I B37-04 ON NGLX.OUT.EXTRACT. JOB ENDED ABNORMALLY AT 01:12.

DIAGNOSIS:
 OUTPUT DATASET WAS ALLOCATED WITH 50 CYLINDERS AND NO ROOM TO EXTEND. MONTH-END VOLUME
 IS TWICE A NORMAL NIGHT.

CIRCUMVENTION:
 DATASET REALLOCATED WITH 200 CYLINDERS AND THE JOB RESTARTED FROM STEP020.

ROOT CAUSE CODE: CAPACITY - SPACE
"""
    p = parse(to_markdown(doc.encode(), "PR23-0412.txt")[0], source_id="PR23-0412.txt")
    assert p.fields["incident_title"] == "NIGHTLY LEDGER EXTRACT NGLX100D ABEND SB37 ON OUTPUT DATASET IN STEP020"
    assert p.fields["root_cause"].startswith("OUTPUT DATASET WAS ALLOCATED WITH 50 CYLINDERS"), p.fields["root_cause"]
    assert p.fields["fix"].startswith("DATASET REALLOCATED WITH 200 CYLINDERS"), p.fields["fix"]


def test_countermeasures_are_the_fix_only_where_nothing_else_tells_it():
    a3 = """# A3: Dock label printers offline during a storm

## Current condition

Dock printers dropped offline four times during the storm on 18 June.

## Root cause analysis

**Root cause:** worn-out batteries in the IDF-3 UPS dropped power to the dock switch on every dip.

## Countermeasures and plan

| What | Who | When | Status |
|---|---|---|---|
| Temporary feed from the plant UPS outlet | E. Simmons | 18 Jun | Done |
| Replace the IDF-3 UPS with a managed unit | M. Oyelaran | 28 Jun | Done |
"""
    p = parse(a3, source_id="a3.md")
    assert "Temporary feed from the plant UPS outlet" in p.fields["fix"], p.fields["fix"]
    # Still open, they are no fix yet.
    open_ = parse(a3.replace("Countermeasures and plan", "Countermeasures (open)"), source_id="a3.md")
    assert open_.reason == "no-fix"
    whys = """# Mediation backlog: log-search disks full

## Root cause

The log-search data nodes filled up because debug logging had been left on in the collector.

## How service was restored

The on-call engineer deleted the oldest archived indices and removed the read-only block.

## Countermeasures

- Page on disk usage over 80% on any data node
- Debug log level expires after 24 hours
"""
    p = parse(whys, source_id="whys.md")
    assert p.fields["fix"].startswith("The on-call engineer deleted the oldest archived indices"), p.fields["fix"]
    assert p.fields["action_items"] == ["Page on disk usage over 80% on any data node", "Debug log level expires after 24 hours"]
    report = """# Incident Report (Final): volumes disconnected

## 5. Cause

**Direct cause:** An operator ran the mapping release command in a session connected to the production unit.

## 6. Countermeasures

**Provisional countermeasure (completed 2024-06-18):** The host mappings were re-created from the configuration backup and the servers restarted.

**Permanent countermeasures:** The management server was split into one for production and one for verification.
"""
    p = parse(report, source_id="report.md")
    assert p.fields["fix"].startswith("The host mappings were re-created from the configuration backup"), p.fields["fix"]


@pytest.mark.parametrize("finding, cause", [
    ("So this is packet loss on the zone-b egress path. CPU on nat-b looks normal.",
     "So this is packet loss on the zone-b egress path."),
    ("The two subnets the preview nodes live in are out of addresses.",
     "The two subnets the preview nodes live in are out of addresses."),
    ("I think I have it. The period end adds one month to the 31st, which JavaScript turns into March 3. "
     "That code has not changed since 2022.",
     "The period end adds one month to the 31st, which JavaScript turns into March 3."),
])
def test_an_issue_threads_finding_is_the_cause_and_the_trackers_lines_never_are(finding, cause):
    thread = f"""# Webhooks delivered twice #468

**Closed** · @hana-m opened this issue on Apr 22, 2025 · 3 comments

---

**@hana-m** commented on Apr 22, 2025

Customers are getting the same event more than once. Checking the dispatcher logs.

---

**@dmitri-pk** commented on Apr 22, 2025

{finding}

---

**@dmitri-pk** commented on Apr 22, 2025

Fixed in #470: the route table now sends zone-b egress through nat-a. Closing.

---

**@dmitri-pk** closed this as completed on Apr 24, 2025
"""
    p = parse(thread, source_id="468.md")
    assert p.fields["root_cause"].startswith(cause), p.fields["root_cause"]
    assert "opened this issue" not in p.fields["root_cause"] and "closed this" not in p.fields["timeline"]


def test_a_solution_applied_is_the_fix():
    doc = """# 09/04 – sellers cannot upload photos

- Service: media-upload
- Cause: a Terraform apply changed the bucket policy and the upload role was not in the list of writers.
- Red herring: we thought first in the new image library. It was not.
- Solution applied: revert of the PR and terraform apply at 12:02. Uploads working at 12:05.
"""
    p = parse(doc, source_id="upload.md")
    assert p.fields["fix"].startswith("revert of the PR and terraform apply at 12:02."), p.fields.get("fix")


def test_a_batch_re_run_for_the_missed_accounts_is_the_fix_a_timeline_tells():
    doc = """# Nightly interest accrual skipped 3,412 accounts

## Timeline

- 00:15 accrual-runner starts and builds its account list from a replica.
- 08:05 Finance ops daily control shows a break of 3,412.
- 09:15 Root cause identified: accrual-runner read its account list from a replica that was two hours behind.
- 10:30 accrual-runner re-run in catch-up mode for the 3,412 accounts against the primary. Balances corrected.
"""
    p = parse(doc, source_id="INC-4533.md")
    assert p.fields["fix"].startswith("10:30 accrual-runner re-run in catch-up mode"), p.fields.get("fix")


def test_names_a_spaced_dot_parts_are_two_and_a_date_beside_them_is_none():
    doc = """## RDAP and WHOIS lookups timing out

**Components:** RDAP · WHOIS (port 43)

**Affected:** Pipelines · Hosted runners · 17 March 2026

## Root cause

The lookup backends were sized for twice the normal peak and a scraper tripled it.

## Resolution

We added four backends and rate-limited the scraper.
"""
    assert parse(doc, source_id="status.md").fields["services_affected"] == ["rdap", "whois", "pipelines", "hosted runners"]


def test_a_tickets_summary_field_among_its_fields_names_the_incident():
    # A tracker's "Summary" is the ticket's title; a record with no heading names itself there.
    record = """Incident ID: INC000007731
Summary: Ticket machines refusing contactless cards at three stations
Status: Closed
Resolution: Payment terminal firmware rolled back; machines rebooted overnight

## Cause
The terminal firmware pushed on Monday rejected cards with a new issuer range.
"""
    p = parse(record, source_id="INC000007731.txt")
    assert p.fields["incident_title"] == "Ticket machines refusing contactless cards at three stations"
    assert p.provenance["incident_title"] == "label: Summary"
    # As a "Title" field does, it names the incident under a heading that is the record's kind.
    headed = "# Major incident INC000007731\n\n" + record
    assert parse(headed, source_id="x.txt").fields["incident_title"] == "Ticket machines refusing contactless cards at three stations"
    # A summary that tells the story is no title; where the file is named only by the ticket's
    # number, its first sentence says more than the number.
    told = record.replace("Ticket machines refusing contactless cards at three stations", "Ticket machines refused contactless cards for a day.")
    p = parse(told, source_id="INC000007731.txt")
    assert (p.fields["incident_title"], p.provenance["incident_title"]) == (
        "Ticket machines refused contactless cards for a day", "label: Summary: first sentence")
    # Nor is one wrapped onto a second line, though its first line reads like a name.
    wrapped = "# Contactless refused\n\n**Status:** Closed\n**Summary:** For most of Monday the ticket machines at three\nstations refused contactless cards.\n" + record[record.index("Resolution:"):]
    assert parse(wrapped, source_id="x.md").fields["incident_title"] == "Contactless refused"


def test_a_forms_numbered_title_question_names_the_incident():
    # A regulator's form: its heading is the form's, its "3.1 Title:" answer names the incident.
    form = """# Major ICT-related incident report

[ ] Initial notification [x] Final report

## 3. Description of the incident

3.1 Title: Card payments declined after a key rotation at the processor

For two hours card payments were declined.

## 4. Root causes

The processor rotated its signing key and our gateway still held the old one.

## 5. Resolution

The new key was loaded on the gateway and declined payments were retried.
"""
    p = parse(form, source_id="report.md")
    assert p.fields["incident_title"] == "Card payments declined after a key rotation at the processor"
    assert p.provenance["incident_title"] == "form: title"


def test_a_bold_label_and_value_that_the_line_goes_on_after_are_one_label():
    # "**Fix: TBD.** We haven't agreed one yet." is the fix's placeholder: a draft.
    doc = """# Slow builds on Tuesdays

**What is going on.** A weekly cache-warming job saturates the disks on every runner host.

**Fix: TBD.** We haven't agreed one yet. Options on the table:

1. Move the job to Sunday night.
2. Give the job its own hosts.
"""
    p = parse(doc, source_id="slow-builds.md")
    assert p.reason == "draft", (p.reason, p.fields.get("fix"))
    done = doc.replace("**Fix: TBD.** We haven't agreed one yet. Options on the table:", "**Fix: moved the job.** It runs on Sunday night now.")
    assert parse(done, source_id="slow-builds.md").fields["fix"] == "moved the job. It runs on Sunday night now."


def test_a_comment_above_the_title_is_no_title():
    # Markdown never shows a comment: an exported deck's note above its first slide's heading.
    deck = """<!-- reveal.js deck, exported from the review space -->

## Card payments declined at peak

**MI-2024-0211** · Friday 22 March 2024

## Why it happened

A fraud rule published on Friday blocked every card from one issuer.

## Recovery

The rule was withdrawn at 13:30.
"""
    assert parse(deck, source_id="deck.md").fields["incident_title"] == "Card payments declined at peak"


def test_a_hospitals_significant_event_analysis_and_sbar_are_the_documents_kind():
    sea = """# Significant Event Analysis

Scanner images not reaching the archive after a firewall change

| **Reference** | SEA-2024-07 |
| --- | --- |
| **Systems affected** | image archive |

# Why did it happen?

A firewall change on Thursday blocked the imaging port between the scanners and the archive.

# Actions taken

The rule was corrected and the scanners resent their studies.
"""
    assert parse(sea, source_id="sea.md").fields["incident_title"] == "Scanner images not reaching the archive after a firewall change"
    sbar = sea.replace("# Significant Event Analysis\n\nScanner images", "# SBAR – Scanner images")
    assert parse(sbar, source_id="sbar.md").fields["incident_title"] == "Scanner images not reaching the archive after a firewall change"


def test_subsections_of_the_causes_own_role_stay_in_their_place():
    # "### Trigger" under "## Root cause": the trigger comes first, as the writer put it, and
    # its heading only repeats the section's role.
    doc = """# Storage outage

## Summary
The array failed over slowly and the VMs went read-only.

## Root cause
### Trigger
A failed memory module in controller A halted the controller.

### Why the VMs went read-only
The guests' disk timeout was 30 seconds, shorter than the takeover.

## Resolution
Controller A was replaced and the VMs were remounted read-write.
"""
    cause = parse(doc, source_id="storage.md").fields["root_cause"]
    assert cause.startswith("A failed memory module in controller A halted the controller.")
    assert cause.index("A failed memory module") < cause.index("The guests' disk timeout")


def test_a_regulators_final_report_is_the_documents_kind():
    doc = """## Final report — card payments declined at peak, 19 November 2024

**What happened.** Card payments were declined for two hours.

**Root cause.** A fraud rule published that morning blocked every card from one issuer.

**Resolution.** The rule was withdrawn at 13:30.
"""
    assert parse(doc, source_id="final.md").fields["incident_title"] == "card payments declined at peak, 19 November 2024"


def test_a_slides_number_before_its_title_is_no_part_of_the_label():
    assert classify_label("Slide 3 — Cause") == "root_cause" and classify_label("**Slide 4: Fix**") == "fix"
    assert classify_label("Slide 12 — Timeline") == classify_label("Timeline")


def test_what_was_done_on_the_day_is_the_fix():
    # A significant event analysis: what happened, why, what was done on the day, what has been learned.
    sea = """# Significant Event Analysis: Lost dictations

## 1. What happened?
Recordings uploaded between 09:05 and 10:50 never reached the typing queue.

## 2. Why did it happen?
An offline index rebuild overran into the working day and locked the recordings table.

## 3. What was done on the day
The database administrator killed the rebuild session at 10:44 and uploads went through again.

## 4. What has been learned?
Maintenance that can lock tables needs a hard stop before the working day.
"""
    p = parse(sea, source_id="sea.md")
    assert p.provenance["fix"] == "heading: 3. What was done on the day"
    assert p.fields["fix"].startswith("The database administrator killed the rebuild session")


def test_a_report_for_its_regulator_is_named_by_its_incident_line():
    # The heading says whom the report is for; the form's "Incident:" answer names the incident
    # in its first sentence, and the story goes on after it.
    report = """# Incident report to the Financial Supervisory Authority

This report follows the authority's template.

## 1. General information

Reference BMB-2024-0163. Report date 2024-03-22.

## 3. Description of the incident

Incident: Duplicate direct debit collections on 1 March 2024. In the morning run the scheduler submitted a second collection for every mandate due on the last day of February.

## 4. Root causes

A date comparison in the scheduler treated 29 February as not yet collected.

## 5. Resolution

The duplicates were reversed the same day and a hotfix corrected the comparison.
"""
    p = parse(report, source_id="report.md")
    assert p.fields["incident_title"] == "Duplicate direct debit collections on 1 March 2024"
    # A heading that names the incident after whom it is for keeps its name.
    named = report.replace("# Incident report to the Financial Supervisory Authority", "# Incident summary for Pinecrest — duplicate collections")
    assert parse(named, source_id="report.md").fields["incident_title"] == "Incident summary for Pinecrest — duplicate collections"
    # A subtitle in bold under whom it is for names the incident, after who reports it.
    subtitled = report.replace("This report follows", "**Bramble Mutual Bank plc — Duplicate direct debit collections, 1 March 2024**\n\nThis report follows").replace("Incident: Duplicate direct debit collections on 1 March 2024. ", "")
    p = parse(subtitled, source_id="report.md")
    assert p.fields["incident_title"] == "Duplicate direct debit collections, 1 March 2024"
    assert p.provenance["incident_title"] == "letterhead: line below"


def test_a_review_declining_the_term_root_cause_says_no_cause():
    # A hard-wrapped line that opens on a quoted word goes on with its sentence, and a sentence
    # declining the term is no cause statement.
    text = """# Flag service stopped answering

> A note on language: as with all our reviews, we are not looking for a single
> "root cause" or a person to blame.

## What happened

At 14:04 a flag with a 62,000-entry targeting list grew the ruleset to 96 MB, and the evaluators were
killed for running out of memory.

## Repair items

- Cap the size of a targeting list.

## Resolution

The flag was deleted at 14:51 and the evaluators recovered.
"""
    cause = parse(text, source_id="review.md").fields["root_cause"]
    assert "not looking for" not in cause and "root cause" not in cause
    assert sentences('we are not looking for a single\n"root cause" or a person to blame.') == [
        'we are not looking for a single "root cause" or a person to blame.'
    ]


def test_a_retro_boards_summary_card_holds_the_incident_and_its_columns_hold_feelings():
    # The facts sit on the facilitator's card, a quote titled by its first line; the team's cards
    # sit in columns (Mad / Sad / Glad, an emoji after the name) whose "because" is a feeling.
    board = """# Retro: Feed renderer slowdown

**Facilitator:** Rosa Lind

> Facilitator's summary card (pinned)
>
> Between 07:50 and 09:10 the feed took 30 s to render. The cause was the morning config push,
> which set the feed-cache TTL to 0, so every request went to the database.
>
> Ana reverted the push at 09:05 and service came back.

## Mad 😡

- We scaled the renderer to 40 pods and it did not help, because the traffic kept growing.

## Glad 😊

- Rolling the setting back took one click.
"""
    p = parse(board, source_id="board.md")
    assert p.fields["root_cause"].startswith("The cause was the morning config push")
    assert p.provenance["root_cause"] == "prose: summary"
    assert "scaled" not in p.fields["root_cause"]
    assert p.fields["fix"].endswith("Ana reverted the push at 09:05 and service came back.")
    assert [classify_label(x) for x in ("Mad 😡", "Sad 😢", "Glad", "Puzzles", "Longed for", "Stop doing")] == ["lessons"] * 6


@pytest.mark.parametrize(
    "turn, cause",
    [
        # The first guess set aside in a sentence of its own: the cause is told after it.
        ("It wasn't the database's fault. The morning flag push set the cache TTL to 0.", "The morning flag push set the cache TTL to 0."),
        # Or the same turn told the other way round.
        ("It was actually a credential stuffing attack: a botnet replayed leaked passwords.", "It was actually a credential stuffing attack"),
    ],
)
def test_the_turn_from_the_first_guess_to_the_cause(turn, cause):
    text = f"""# Login latency

## Summary

Logins took 20 seconds for an hour. Everyone first looked at the database, which was at 100% CPU. {turn}

## Resolution

We reverted the flag change at 10:24 and logins recovered.
"""
    p = parse(text, source_id="x.md")
    assert p.fields["root_cause"].startswith(cause)


def test_a_restart_by_routine_work_is_no_fix_and_a_sign_off_is_no_story():
    story = """# Stale balances

The balance API reads from three replicas.

db-replica-03 had been rebooted by the hypervisor host maintenance at 23:58, and replication stopped on a duplicate-key error.

Wen removed db-replica-03 from the pool at 09:48 and balances were correct from 09:50.
"""
    assert parse(story, source_id="x.md").fields["fix"].startswith("Wen removed db-replica-03 from the pool")
    signed = """# Push reminders not delivered

On Thursday 27 June between roughly 05:10 and 10:25 UTC, no push notifications reached anyone's phone. Our push provider had an outage in its delivery pipeline for that whole window. We restored delivery at 10:25 by cancelling the queued backlog, so no late reminders went out.

— Marcus
"""
    cause = parse(signed, source_id="x.md").fields["root_cause"]
    assert "provider had an outage" in cause and "Marcus" not in cause


@pytest.mark.parametrize(
    "heading, below, title",
    [
        # A quality system's record is named by its kind and number; its subject names the incident.
        ("8D-Report 2024-0142", "Subject: MES lost its data feed from the press lines", "MES lost its data feed from the press lines"),
        ("8D Report — HFS-8D-2024-017", "**Subject:** Route planner unavailable after release 4.12", "Route planner unavailable after release 4.12"),
        ("CAPA record — Specimen accessioning frozen during the billing extract", "Raised by: QA", "Specimen accessioning frozen during the billing extract"),
        # A register's extract gives it as its "Title" field.
        ("Kestrel Hosting B.V. — ISMS — Information Security Incident Register (extract)",
         "Incident register extract — KCH-SIR-2024-0019\nTitle Stale billing data shown in the control panel",
         "Stale billing data shown in the control panel"),
    ],
)
def test_a_quality_records_kind_and_number_give_way_to_the_incidents_name(heading, below, title):
    text = f"""# {heading}

{below}

## D4 Root cause

The gateway certificate expired at midnight because nobody owned its renewal.

## D6 Implementation and validation

A new certificate was issued at 04:50 and the connection came back at 05:12.
"""
    p = parse(text, source_id="x.md")
    assert p.fields["incident_title"] == title
    assert p.fields["fix"].startswith("A new certificate was issued at 04:50")


def test_a_registers_response_log_and_a_capas_correction_tell_the_fix():
    # An ISMS register's "Response log" is its timeline, where the fix is; a CAPA record's
    # "Correction (done during incident)" is what put it right on the day.
    register = """# ISR-2024-022 — Helpdesk mailbox compromised

## Root cause

The helpdesk mailbox password was phished because the account was excluded from MFA.

## Response log

| Time | Event |
| --- | --- |
| 10:55 | The IT manager confirmed the mail came from our tenant. |
| 11:08 | The helpdesk password was reset, all sessions revoked and sign-in blocked. |
"""
    p = parse(register, source_id="x.md")
    assert p.provenance["timeline"] == "heading: Response log"
    assert "password was reset" in p.fields["fix"]
    capa = """# CAPA-0318 Card authorisation timeouts

## Root cause

The processor's authorisation switch degraded after a storage array failure on their side.

## CORRECTION (done during incident)

12:58 The on-call engineer switched the routing table to the secondary acquirer.
"""
    p = parse(capa, source_id="x.md")
    assert p.provenance["fix"] == "heading: CORRECTION (done during incident)"


@pytest.mark.parametrize(
    "opening, title",
    [
        ("Slack export — Acme workspace\nChannel: #inc-2291-checkout-5xx\n\n"
         '[14:03:02] incident-bot (APP): INC-2291 opened by @Dara Whelan — Sev2 — "checkout returning 5xx for some users"',
         "INC-2291 checkout returning 5xx for some users"),
        # An archive's page: the workspace and its channels, then the channel's own heading.
        ("Larkspur Freight\n\nPublic channels\n\n- #general\n- #inc-label-timeouts\n\n# #inc-label-timeouts\n\n"
         ":rotating_light: Incident **LF-INC-0612** declared — *label creation timing out* — Sev2 — Lead: Zainab",
         "LF-INC-0612 label creation timing out"),
    ],
)
def test_a_chat_export_is_named_by_the_incident_bots_declaration(opening, title):
    text = f"""{opening}

[14:20] Dara: root cause: the pool size setting moved to a key the chart does not read.
[14:41] Dara: we reverted the values change and checkout recovered at 14:52.
"""
    p = parse(text, source_id="x.txt")
    assert (p.fields["incident_title"], p.provenance["incident_title"]) == (title, "chat: incident declared")


def test_an_incident_line_in_a_reviews_timeline_does_not_rename_it():
    text = """# Checkout errors after the pool change

## Timeline

- 14:03 INC-2291 opened — Sev2 — "checkout returning 5xx"

## Root cause

The pool size setting moved to a key the chart does not read.

## Resolution

We reverted the values change and checkout recovered.
"""
    assert parse(text, source_id="x.md").fields["incident_title"] == "Checkout errors after the pool change"


def test_a_services_list_set_in_a_quote_is_read_whole():
    text = """# Loss of WAN to 14 stores

## Services affected

> - POS card authorisation (stores fell back to offline limits)
> - delivery receipting
> - price file push

## Root cause

A contractor drilled through the duct that carried both carriers' fibre.

## Resolution

The carriers spliced the fibre and both circuits came back at 19:02.
"""
    assert parse(text, source_id="x.md").fields["services_affected"] == ["pos card authorisation", "delivery receipting", "price file push"]


def test_an_addendums_correction_to_the_fix_section_replaces_it():
    text = """# Mobile push notifications not delivered

## Cause

Our push provider had an outage of its EU delivery API, which returned 503s.

## Fix

Restarting the push-sender pods cleared the error state and deliveries resumed.

## Addendum (2024-01-16)

**Correction to the "Fix" section.** We previously stated that restarting push-sender fixed the problem. This was incorrect: the restart had no effect. What actually restored delivery was switching push-sender to the provider's US endpoint at 15:22.
"""
    p = parse(text, source_id="x.md")
    assert p.fields["fix"] == "What actually restored delivery was switching push-sender to the provider's US endpoint at 15:22."
    assert p.provenance["fix"] == 'label: Correction to the "Fix" section.'


@pytest.mark.parametrize(
    "site, below, title",
    [
        # A status site's name and section over the event's name, bold or in a wrapped plain line.
        ("Corvane Cloud Status — Incident #24009", "**Object Storage: elevated upload errors in us-east2**",
         "Object Storage: elevated upload errors in us-east2"),
        ("Nimbara Cloud | Post-Event Summaries", "Summary of the Managed Cache Service Event in the\nEU-WEST-3 Region",
         "Summary of the Managed Cache Service Event in the EU-WEST-3 Region"),
        # Not the site's own links: the event's heading further down names it.
        ("Paxelle Status", "[Dashboard](/) · [Incident history](/history) · [Subscribe](/subscribe)\n\n## Delayed payouts",
         "Delayed payouts"),
    ],
)
def test_a_status_sites_section_gives_way_to_the_events_name(site, below, title):
    text = f"""# {site}

{below}

## Root cause

A configuration push removed the cache key's version field.

## Resolution

We rolled the configuration back at 07:21 and errors stopped.
"""
    assert parse(text, source_id="x.md").fields["incident_title"] == title


def test_a_handover_that_says_theres_no_fix_yet_is_a_draft():
    text = """# Handover NA-EU: matchmaking fleet not scaling (OPEN)

## Root cause

The fleet's subnets ran out of addresses, so new game servers could not launch.

## Summary

What's NOT done: there's no fix yet, the new subnets need approval. We restored partial service at 06:30 by moving queued players to the EU fleet.
"""
    p = parse(text, source_id="x.md")
    assert p.reason == "draft" and "there's no fix" in p.detail


def test_a_handover_that_applied_no_fix_is_a_draft():
    # A terse shift handover: the working theory told as a story, "NO fix applied", a workaround
    # waiting for approval.
    text = """Feed handler shift handover - late -> early

OPEN ITEM 1 - options feed gaps on fh-02

What's going on: fh-02 keeps logging short gap bursts on channels 11-14 at the open and the
close, because the host drops packets when the feed NIC's receive ring overflows at peak.

Nothing changed tonight. NO fix applied.

Proposed workaround (pending): raise the rx ring to 4096 on fh-02.
"""
    p = parse(text, source_id="handover_OPEN.txt")
    assert p.reason == "draft" and "NO fix applied" in p.detail
    # A finished review that says why no fix was needed is no draft.
    done = parse("# Feed gaps\n\n## Root cause\n\nThe NIC ring overflowed at peak because it was left at 1024.\n\n"
                 "## Resolution\n\nWe raised the ring to 4096; no fix was applied to the feed itself, which was never at fault.\n", source_id="x.md")
    assert done.reason is None


def test_minutes_kept_as_a_table_of_agenda_items_hold_fields_in_their_notes():
    # A meeting-notes page: what was discussed in the Item column, what was said in Notes.
    text = """# PIR - Basket timeouts

## Discussion items

| Time | Item | Who | Notes |
| --- | --- | --- | --- |
| 5 min | Recap | Tom | Paged at 17:58 by the basket p99 alert; checkout timed out for one session in five. |
| 15 min | Why did query volume go up? | Luis | The database was never the problem; volume was. |
| 10 min | Root cause | Luis | The repricing flag went from 5% to 100% at 17:40, so every basket read repriced every line against the orders database. |
| 5 min | What fixed it | Tom | Luis set the repricing flag back to 0% at 18:49 and the database was back under 40% CPU within two minutes. |
"""
    p = parse(text, source_id="minutes.md")
    assert p.fields["fix"].startswith("Luis set the repricing flag back to 0%")
    assert p.provenance["fix"] == "table: What fixed it"
    assert p.fields["root_cause"].startswith("The repricing flag went from 5% to 100%")


def test_a_labels_qualifier_may_hold_the_time_it_was_found():
    text = """Subject: Shift handover - days to nights

Impact: the records system was slow on all wards for two hours.

Actual cause (found 14:35): the monthly extract was scheduled at 13:00 instead of 01:00 and ran against the live database.

Fix: the DBA killed the extract session at 14:52 and the subscription was disabled.
"""
    p = parse(text, source_id="handover.txt")
    assert p.fields["root_cause"].startswith("the monthly extract was scheduled at 13:00")
    assert p.provenance["root_cause"] == "label: Actual cause (found 14:35)"


HANDOVER_FIX = """Cause: the monthly extract ran against the live database at lunchtime and its locks blocked the wards' saves.

Fix: the DBA killed the extract session and the subscription was disabled.
"""


@pytest.mark.parametrize(
    ("opening", "title"),
    [
        # An email's subject names the shift; the entry's starred line names the incident.
        ("Subject: Shift handover - Sat 14 Sep - Days -> Nights\n\nHi nights,\n\n"
         "*** MAJOR INCIDENT (resolved) - INC0418822 - CarePoint slow / timing out\n    13:20 - 15:05 ***\n",
         "INC0418822 - CarePoint slow / timing out"),
        # A handover page's entry heading, its state after it.
        ("# NOC Handover 2024-05-17 Late Shift\n\n## Incidents\n\n"
         "### HAL-INC-10934 – Intermittent name resolution failures (campus-wide) RESOLVED\n",
         "HAL-INC-10934 – Intermittent name resolution failures (campus-wide)"),
        # A plain-text log's entry line with the hours it ran.
        ("# BILLING OPS - HANDOVER\n\nINCIDENT  INC-40988  RTE halted - prepaid data not rated  (01:00 -> 05:34)\n"
         "-----------------------------------------------------------------------\n",
         "INC-40988 RTE halted - prepaid data not rated"),
        # A section for the shift's incidents that only gives the key: no name there.
        ("# Shift handover, night\n\n## 2. INCIDENT DURING SHIFT - INC-40721 (CLOSED 04:22, monitoring)\n",
         "Shift handover, night"),
    ],
)
def test_a_handovers_incident_entry_names_the_incident_not_the_shift(opening, title):
    p = parse(f"{opening}\n{HANDOVER_FIX}", source_id="handover.txt")
    assert p.fields["incident_title"] == title


def test_an_incident_key_in_a_reviews_heading_is_kept_where_no_handover_is_written():
    text = f"# Checkout errors after the release\n\n## INC-2291 — merchant webhooks rejected\n\n{HANDOVER_FIX}"
    assert parse(text, source_id="review.md").fields["incident_title"] == "Checkout errors after the release"


def test_a_section_telling_the_cause_and_the_fix_together_gives_each_its_sentences():
    text = """# INC-2291 — merchant webhooks rejected

## What merchants saw

Merchants started rejecting our webhooks with 401s.

## Cause / fix (short version for the handover)

Cause was the 2.31.0 deploy: the serializer change meant the body we sent was not the body we signed. Fixed by rolling back to 2.30.4 and replaying the DLQ.
"""
    p = parse(text, source_id="handover.md")
    assert p.fields["root_cause"].startswith("Cause was the 2.31.0 deploy")
    assert p.fields["fix"] == "Fixed by rolling back to 2.30.4 and replaying the DLQ."
    assert p.provenance["fix"] == "heading: Cause / fix (short version for the handover)"
    # A section of the field's own tells it first.
    own = text + "\n## Resolution\n\nWe rolled the notifier back to 2.30.4 at 16:55.\n"
    assert parse(own, source_id="handover.md").fields["fix"] == "We rolled the notifier back to 2.30.4 at 16:55."


def test_a_qualifier_of_five_words_still_leaves_the_label():
    assert classify_label("Summary (for people who scrolled here)") == "summary"
    assert classify_label("Timeline (all times local, CEST)") == "timeline"


def test_a_commit_messages_story_is_its_cause_and_what_the_commit_does_its_fix():
    # An email's headers are whose message it is, not the story that opens on the cause.
    text = """Subject: [PATCH] recs-service: pin platform-rpc back to v2.9.4
From: Noor Haddad <noor@example.media>
Date: Thu, 12 Sep 2024 10:18:44 +0200

platform-rpc v3.0.1 went out with recs-service release 2024.09.3 on Wednesday. v3 changed the server default for IdleTimeout from 300s to 20s, shorter than the clients' pool eviction.

Impact: from 14:02 to 09:40, 3-5% of /recommend calls failed and the error-rate alert auto-resolved twice.

This commit pins platform-rpc to v2.9.4 and leaves the Go toolchain update in place.
"""
    p = parse(text, source_id="0001-pin.patch")
    assert p.fields["root_cause"].startswith("platform-rpc v3.0.1 went out with recs-service release 2024.09.3")
    # An alert that auto-resolved is no fix.
    assert p.fields["fix"] == "This commit pins platform-rpc to v2.9.4 and leaves the Go toolchain update in place."


@pytest.mark.parametrize("label", ["What this commit does", "Changes in this MR", "What changed in this release"])
def test_what_a_fixs_own_change_does_is_the_fix(label):
    assert classify_label(label) == "fix"


@pytest.mark.parametrize(
    "header",
    [
        "Brindle Maps - Reliability Engineering - INTERNAL",
        "Ferncliff Credit Union · Information Security Office · RESTRICTED",
        "KESTRELPAY LTD - CONFIDENTIAL - Security Engineering",
        "Verdigris Games - Network Engineering - INTERNAL PIR-2024-031",
    ],
)
def test_a_running_header_of_names_and_a_marking_gives_way_to_the_line_below(header):
    text = f"""# {header}
Rubber-banding and disconnects in EU matches, 9-11 October 2024
Post-incident review, interview format

## Root cause

A single spine-to-border uplink was carrying far more than its share of traffic and dropped packets.

## Resolution

We rebalanced the uplinks and the packet loss stopped at 21:10.
"""
    assert parse(text, source_id="pir.pdf").fields["incident_title"] == "Rubber-banding and disconnects in EU matches, 9-11 October 2024"


@pytest.mark.parametrize(
    "lead",
    ["So, plainly:", "So the real cause, stated as plainly as we can:", "To put the cause in a single sentence, as it appears in our internal review:", "The short form:"],
)
def test_a_storys_bold_statement_of_the_cause_after_a_lead_that_says_so_is_the_cause(lead):
    text = f"""# We DDoSed ourselves with a feature flag

At 09:10 the API started timing out and we declared a security incident. The database looked overloaded too,
and we added a CDN challenge for an attack that did not exist.

At 09:33 Tomás saw that the traffic came from our own clients. {lead} **a change to the live_presence feature flag at 08:59 set its rollout to 100%, turning on a beta feature that polls every two seconds for every client.**

## Recovery

We set the flag back to 0% at 09:41 and the API recovered within minutes.
"""
    p = parse(text, source_id="blog.html")
    assert p.fields["root_cause"].startswith("a change to the live_presence feature flag at 08:59")
    assert p.provenance["root_cause"] == "prose: stated plainly"


def test_a_bold_value_after_a_label_or_a_bold_fix_is_no_plain_statement_of_the_cause():
    text = """# API timeouts

Status: **resolved after the flag was set back to 0% by the on-call engineer at 09:41.**

In short: **we fixed it by rolling the flag back to 0% and removing the challenge we had added.**

The cause was a feature flag change at 08:59 that turned on polling for every client.

## Recovery

We set the flag back to 0% at 09:41 and the API recovered within minutes.
"""
    p = parse(text, source_id="blog.html")
    assert p.fields["root_cause"].startswith("The cause was a feature flag change")


def test_a_wikis_name_linked_to_its_start_page_is_chrome_over_the_pages_own_heading():
    text = """# [Ferrow Ops Wiki](/doku.php?id=start)

- [Runbooks](/doku.php?id=runbooks:start)

# Ceph OSD host loss, 7 Feb — responder interviews

**Q: How was power restored?**

The technicians moved both servers' surviving power cords to the spare PDU at 03:40.

**Q: If you had to say in one line what caused it?**

A PDU failure in rack F14, on two servers already down to one power supply.
"""
    p = parse(text, source_id="interviews.html")
    assert p.fields["incident_title"] == "Ceph OSD host loss, 7 Feb — responder interviews"
    assert p.fields["root_cause"] == "A PDU failure in rack F14, on two servers already down to one power supply."
    assert p.fields["fix"].startswith("The technicians moved both servers'")


def test_a_bold_label_written_on_after_a_sentence_is_its_own_field():
    text = """# Leap day renewals

## Summary for the postmortem doc

**Cause:** a date bug in the next-anniversary calculation aborted the whole 29 Feb renewal run. **Fixed by:** hotfix 4.18.1 and a manual re-run of the 29 Feb batch.
"""
    p = parse(text, source_id="minutes.html")
    assert p.fields["root_cause"] == "a date bug in the next-anniversary calculation aborted the whole 29 Feb renewal run."
    assert p.fields["fix"] == "hotfix 4.18.1 and a manual re-run of the 29 Feb batch."


def test_a_run_in_heading_names_the_cause_and_the_fix_but_a_one_word_sentence_does_not():
    text = """# Release notes 2024.06.2

Incident note: SMS codes and reminders not delivered, 11 June 2024

What customers saw. Patients in the EU did not receive SMS messages for three hours.

Why it happened. Our SMS carrier had a partial outage of its EU endpoint and answered most sends with HTTP 503.

How it was resolved on the day. At 10:41 our on-call engineer switched EU traffic to the second carrier by hand.

Recovery. The queued reminders were sent once the backlog had drained, and some went out late.
"""
    p = parse(text, source_id="release-notes.pdf")
    assert p.fields["root_cause"].startswith("Our SMS carrier had a partial outage")
    assert p.provenance["root_cause"] == "label: Why it happened"
    assert p.fields["fix"].startswith("At 10:41 our on-call engineer switched")


@pytest.mark.parametrize("heading", ["Work notes", "Work notes list / work note", "Records work notes", "Activity", "Activities (7)", "Work log", "Action (newest first)", "Comments (oldest first)"])
def test_a_tickets_journal_is_its_timeline(heading):
    assert classify_label(heading) == "timeline"


def test_a_journal_that_never_names_its_cause_gives_the_diagnosis_the_fix_came_after():
    text = """# Parcel labels print blank at the Leeds depot

| Field | Value |
| --- | --- |
| Number | INC0771203 |
| Close notes | Done. |

## Activity

| Created | By | Text |
| --- | --- | --- |
| 2024-08-02 07:10 | monitoring | Label job failure rate 64% at depot LDS-2. |
| 2024-08-02 07:25 | Ines Varga | Printers respond to ping and the spooler queue is empty. |
| 2024-08-02 07:58 | Ines Varga | The label template in the print service now points at a font file that the 7 p.m. cleanup job deleted from the shared volume last night. |
| 2024-08-02 08:12 | Ines Varga | Grew the shared volume to 40 GiB as an immediate workaround and copied the font back. |
| 2024-08-02 08:30 | Ines Varga | Reverted the cleanup job's new path filter. |
"""
    p = parse(text, source_id="INC0771203.json")
    assert p.reason is None
    assert p.fields["root_cause"].startswith("The label template in the print service now points at a font file")
    assert p.provenance["root_cause"] == "timeline: the entry before the fix"
    assert "Reverted the cleanup job" in p.fields["fix"]


def test_a_journal_entry_waiting_for_the_cause_is_none_but_the_cause_on_the_providers_side_is():
    text = """Call number: M2408 311
Brief description: Outbound mail to partners delayed

## Action (newest first)

09-08-2024 16:02 Piet Lambrecht:
Closing. Cause on their side: a certificate rotation on the relay provider's EU gateway left its TLS listener refusing our connector.
The provider rolled the listener back to the previous certificate at 14:40 and mail flowed again.

09-08-2024 11:15 Piet Lambrecht:
Keeping the connector on the backup relay until the provider confirm root cause.
"""
    p = parse(text, source_id="M2408 311.eml")
    assert p.reason is None
    assert p.fields["root_cause"].startswith("Cause on their side: a certificate rotation")
    assert "rolled the listener back" in p.fields["fix"]


def test_a_journal_entrys_cause_is_told_to_the_end_of_its_entry_and_no_further():
    text = """Number: INC0512207
Short description: Driver app crashes on the returns screen
Close notes: 5.2.1 released with the fix.

----- Work notes -----

2024-03-01 16:40 Marta Quist
Build 5.2.1 rolled out to all devices.

2024-03-01 10:05 Marta Quist
Root cause found. The returns screen parses the parcel weight with the device's locale,
so a comma decimal separator throws a NumberFormatException. It has been there since the
screen shipped in 4.9.

2024-03-01 09:30 Marta Quist
Crash reporter shows 1,200 crashes since 08:00, all on devices set to German.
"""
    p = parse(text, source_id="INC0512207.txt")
    assert p.fields["root_cause"].startswith("The returns screen parses the parcel weight with the device's locale")
    assert "since the screen shipped in 4.9" in p.fields["root_cause"] and "Crash reporter" not in p.fields["root_cause"]


def test_a_desks_area_is_no_category_but_a_category_told_as_a_cause_is():
    ticket = """# INC0932214 - Checkout 502s

| Field | Value |
| --- | --- |
| Category | {category} |
| Assignment group | Web Platform |

**Root cause:** the client certificate checkout-api presents to the payment gateway expired at midnight.

**Resolution:** a new certificate was issued and checkout-api was restarted with it.
"""
    t = Taxonomy.default()
    for area in ("Network", "Software", "Hardware"):
        p = parse(ticket.format(category=area), source_id="INC0932214.html")
        f = p.fields
        assert f["category_hint"] == [] and t.decide(f["incident_title"], f["root_cause"], f["fix"], hint=f["category_hint"])[0] == "security"
    told = parse(ticket.format(category="Software bug"), source_id="INC0932214.html").fields
    assert told["category_hint"] == ["Software bug"]


def test_where_the_writer_put_the_notes_is_no_cause_and_their_short_version_sums_it_up():
    text = """Subject: FW: INC0192555 partial outage of the quotes API

For Friday's review - the ticket only says "DNS issue, fixed", so I've pasted the work notes below. Short version is at the bottom.

07/05/2024 10:12 - Ana Lopes
Quotes API timing out for about a third of requests.

07/05/2024 11:40 - Ana Lopes
Actual cause = a resolver left on the retired subnet after the office move, still listed first in resolv.conf.

-----

Short version: one of the two resolvers the quotes hosts use stayed on the retired subnet after the office move. Fixed by removing the old resolver from resolv.conf on every host.
"""
    p = parse(text, source_id="FW INC0192555.eml")
    assert "pasted the work notes" not in p.fields["root_cause"] and "Short version is at the bottom" not in p.fields["root_cause"]
    assert "resolver" in p.fields["root_cause"]
    assert p.fields["fix"].startswith("Fixed by removing the old resolver")
    assert STRONG_CAUSE.search("Actual cause = a resolver left on the retired subnet")
