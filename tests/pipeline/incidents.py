"""Hand-written incident rows for the retrieval, answering and evaluation tests, stored with
the real `Database.upsert_incident`."""

from __future__ import annotations

from pipeline.ingest.record import IncidentRecord, content_hash

INCIDENTS = [
    dict(
        source_id="dns-timeouts",
        incident_title="Intermittent DNS timeouts in the payments cluster",
        date="2024-03-02",
        services_affected=["coredns", "payments-api"],
        timeline="09:02 alert: payments-api error rate 4%\n09:10 found coredns pods throttled\n09:25 scaled coredns to 6 replicas, errors stopped",
        root_cause="CoreDNS pods were CPU throttled after cluster growth, so DNS lookups timed out and pods failed to resolve services.",
        fix="Scaled CoreDNS from 2 to 6 replicas and enabled NodeLocal DNSCache.",
        root_cause_category="network",
    ),
    dict(
        source_id="kafka-disk",
        incident_title="Kafka broker disk full during month-end",
        date="2024-01-31",
        services_affected=["kafka", "ledger-writer"],
        timeline="17:12 kafka-2 hit ENOSPC and shut down\n17:14 producers page with NOT_ENOUGH_REPLICAS\n17:41 volumes grown, kafka-2 restarted",
        root_cause="Month-end traffic filled the broker disks; capacity was sized for average volume, not peaks.",
        fix="Grew the EBS volumes from 1 TiB to 2 TiB and cut retention on the audit topic.",
        root_cause_category="capacity",
    ),
    dict(
        source_id="cert-expiry",
        incident_title="Card tokenizer certificate expired",
        date="2023-11-27",
        services_affected=["card-tokenizer", "payments-api"],
        timeline="00:00 mTLS certificate expired\n00:03 card payments failing with bad certificate\n00:40 new certificate issued and rolled out",
        root_cause="The mTLS client certificate of the tokenizer expired because cert-manager renewal was misconfigured.",
        fix="Issued a new certificate by hand and fixed the cert-manager issuer reference.",
        root_cause_category="security",
    ),
    dict(
        source_id="bad-release",
        incident_title="Checkout 502s after the v4.12 release",
        date="2023-08-02",
        services_affected=["payments-api", "api-gateway"],
        timeline="14:00 v4.12 deployed\n14:05 502 rate at 30%\n14:20 rolled back to v4.11",
        root_cause="The v4.12 release changed the keep-alive timeout below the gateway's, so the gateway reused closed connections.",
        fix="Rolled back to v4.11, then shipped v4.12.1 with the old timeout.",
        root_cause_category="deployment",
    ),
    dict(
        source_id="replica-lag",
        incident_title="Ledger database replica lag",
        date="2023-04-18",
        services_affected=["ledger-db", "balance-api"],
        timeline="10:00 balance reads stale\n10:20 replica 40 minutes behind primary\n10:45 long analytics query cancelled, lag drained",
        root_cause="A long analytics query on the read replica blocked WAL replay, so balances served from the replica were stale.",
        fix="Cancelled the query with pg_cancel_backend and moved analytics to a dedicated replica.",
        root_cause_category="database",
    ),
    dict(
        source_id="billing-export",
        incident_title="Nightly billing export stopped",
        date="2024-06-11",
        services_affected=["billing-export"],
        timeline="02:00 export job started\n02:04 job crashed with exit code ZX-4471\n08:30 rerun after patch",
        root_cause="A leap-day date in an invoice hit an unhandled edge case in the export's date parser, which crashed with ZX-4471.",
        fix="Patched the date parser and reran the export.",
        root_cause_category="software-bug",
    ),
    dict(
        source_id="vendor-outage",
        incident_title="Fraud scoring vendor timeouts",
        date="2024-09-05",
        services_affected=["fraud-scoring", "payments-api"],
        timeline="11:00 vendor latency p99 8s\n11:05 payments timing out\n11:15 fail-open switch enabled",
        root_cause="The third-party fraud scoring vendor had a regional outage and its API timed out.",
        fix="Enabled the fail-open switch so payments skip fraud scoring until the vendor recovered.",
        root_cause_category="dependency",
    ),
    dict(
        source_id="raid-failure",
        incident_title="Ledger primary RAID controller failure",
        date="2024-05-20",
        services_affected=["ledger-db"],
        timeline="03:10 I/O errors on the primary\n03:30 manual failover to the standby\n05:00 controller replaced",
        root_cause="The RAID controller of the database host failed, hanging all disk I/O.",
        fix="Failed over to the standby by hand and replaced the controller.",
        root_cause_category="hardware",
    ),
]


def record(source: str = "hand", **fields) -> dict:
    row = IncidentRecord(source=source, url=f"https://wiki.example/{fields['source_id']}", **fields).to_dict()
    row["content_hash"] = content_hash(repr(sorted(fields.items())))
    return row


def seed(db, incidents=INCIDENTS, source: str = "hand") -> dict[str, int]:
    """Store the rows; returns source_id -> incident row id."""
    for fields in incidents:
        db.upsert_incident(record(source, **fields))
    return {r["source_id"]: r["id"] for r in db.incidents(source=source)}
