"""Root-cause categories: defined once here, overridable from the config file.

The classifier is rules over the root-cause text: each category has weighted patterns, and a
match early in the text counts more, because the first cause in the chain (the trigger) is
what the category names, not the symptoms described after it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_CATEGORIES: dict[str, str] = {
    "deployment": "a release, rollout, version upgrade or migration that shipped new code",
    "configuration": "a config or infrastructure change: config files, flags, DNS records, firewall/IAM rules, manifests, IaC",
    "database": "a database or datastore misbehaving: locks, replication, failover, slow queries, corruption",
    "network": "networking: DNS resolution, load balancers, ingress, BGP, connectivity, packet loss",
    "dependency": "a third-party or upstream provider failing: cloud provider, SaaS, vendor, upstream API",
    "capacity": "load or resource exhaustion: traffic spikes, disk/memory/CPU/IP/quota limits, pools",
    "hardware": "physical failure: disks, servers, power, cooling, datacenter",
    "software-bug": "a latent defect without a fresh change: race, leak, edge case, time/date bug",
    "security": "attacks, abuse, compromised or expired credentials and certificates",
}

# (pattern, weight). Patterns are matched case-insensitively on word boundaries.
DEFAULT_RULES: dict[str, list[tuple[str, float]]] = {
    "deployment": [
        (r"deploy(ed|ment|ing|s)?", 2.0), (r"releas(e|ed|ing)", 2.0), (r"roll ?out|rolled out", 2.0),
        (r"upgrad(e|ed|ing)", 2.5), (r"new version|version \d", 1.5), (r"migrat(ion|ed|ing)", 1.5),
        (r"pull request|merged|\bPR\b|commit", 1.0), (r"rolled back|rollback|revert", 0.8),
        (r"image|AMI|helm chart|bump(ed)?", 1.0), (r"regression", 1.5),
    ],
    "configuration": [
        (r"config(uration)?( change| file|map)?|misconfigur\w*", 2.5), (r"feature flag", 2.5),
        (r"terraform|IaC|infrastructure.as.code|manifest|helm values", 2.0),
        (r"firewall|security group|IAM (role|polic\w+)|network polic\w+|ACL", 2.0),
        (r"DNS record|CNAME|TTL", 1.5), (r"setting|parameter|environment variable|typo", 1.5),
        (r"(manual|accidental(ly)?|wrong|incorrect) (change|command|value)", 2.0),
        (r"applied|changed|removed|deleted", 0.7), (r"cron ?job|schedule", 0.8),
    ],
    "database": [
        (r"database|\bdb\b|datastore", 2.0), (r"postgres(ql)?|mysql|mongo(db)?|redis|cassandra|elasticsearch|etcd|dynamodb|rds", 2.0),
        (r"replica(tion|s)?|replication lag|failover|primary|standby", 2.0), (r"lock(s|ed|ing)?|deadlock", 2.0),
        (r"slow quer(y|ies)|query plan|index(es)?|vacuum|autovacuum", 2.0), (r"corrupt(ion|ed)?", 1.5),
        (r"schema|table|transaction", 1.0),
    ],
    "network": [
        (r"DNS( resolution| lookups?)?|coredns|kube-dns|resolver", 2.5), (r"load.?balancer|\bELB\b|\bALB\b|\bNLB\b", 2.0),
        (r"ingress|nginx|envoy|proxy", 1.5), (r"BGP|rout(e|es|ing)|peering", 2.0),
        (r"packet loss|latency|network(ing)?|connectivity|partition", 1.5), (r"TCP|TLS handshake|MTU|conntrack|VPN|NAT", 1.5),
    ],
    "dependency": [
        (r"third.party|upstream|vendor|provider|SaaS|external (service|api)", 2.5),
        (r"AWS|GCP|Azure|Google Cloud|Cloudflare|GitHub|Docker Hub|quay|npm registry|PyPI|Stripe|Twilio|Fastly|Akamai", 1.5),
        (r"(provider|vendor|upstream|regional) (outage|incident|issue)|outage (at|of|in) ", 2.5),
        (r"status page|their side|on their end", 2.0), (r"api rate.?limit(ed)? by|quota (from|at) the provider", 1.5),
    ],
    "capacity": [
        (r"capacity|exhaust(ed|ion)|ran out|run out|out of (memory|disk|space)|OOM\w*", 3.0),
        (r"disk (full|space)|ENOSPC|inodes?|quota|limit(s)? (reached|hit)|too many", 2.5),
        (r"traffic (spike|surge)|spike|surge|load|overload(ed)?|saturat(ed|ion)", 2.0),
        (r"memory|CPU|throttl(ed|ing)|connection pool|max_connections|file descriptors|IP address(es)?", 1.5),
        (r"scal(e|ing) (up|out)|autoscal\w+|backlog|queue (depth|grew)", 1.0),
    ],
    "hardware": [
        (r"hardware|physical|disk failure|failed disk|SSD|NVMe|RAID", 3.0), (r"power|PDU|UPS|cooling|datacenter|data center|rack", 2.5),
        (r"server (died|failed)|host (died|failed)|NIC|memory module|DIMM|fan|kernel panic", 2.0),
        (r"(instance|node|VM) (retired|degraded)|hypervisor", 1.5),
    ],
    "software-bug": [
        (r"bug|defect|race condition|memory leak|leak(ed|ing)?|edge case|corner case", 3.0),
        (r"leap (year|second)|time ?zone|clock|overflow|off.by.one|null pointer|nil|panic|exception|deadlock", 2.0),
        (r"infinite loop|retry storm|thundering herd|unhandled|latent|regex", 2.0), (r"code path|logic", 1.0),
    ],
    "security": [
        (r"attack(er|ed|s)?|DDoS|malicious|abuse|phishing|malware|exploit|vulnerab\w+|breach", 3.0),
        (r"compromised|leaked (key|token|credential)s?|stolen|unauthori[sz]ed", 3.0),
        (r"(certificate|cert|TLS cert|x509|SSL)s? (had )?expir\w+|expired (certificate|cert|token|credential|key)s?|x509", 3.0),
        (r"credential|secret|token|API key|password|rotation|rotat(ed|e)", 1.2), (r"supply.chain|crypto ?min(ing|er)", 3.0),
    ],
}

# Explicit categories written by people (front matter, Notion/Confluence properties) in their
# own words, mapped onto the taxonomy.
DEFAULT_ALIASES: dict[str, str] = {
    "deploy": "deployment", "release": "deployment", "code-change": "deployment", "upgrade": "deployment",
    "config": "configuration", "config-change": "configuration", "configuration-change": "configuration",
    "misconfiguration": "configuration", "infrastructure-change": "configuration",
    "db": "database", "datastore": "database", "storage": "database",
    "networking": "network", "dns": "network",
    "third-party": "dependency", "vendor": "dependency", "upstream": "dependency", "cloud": "dependency",
    "provider": "dependency", "external": "dependency",
    "resource-exhaustion": "capacity", "load": "capacity", "scaling": "capacity",
    "hw": "hardware", "infrastructure-failure": "hardware",
    "bug": "software-bug", "software": "software-bug", "code-bug": "software-bug", "defect": "software-bug",
    "security-incident": "security", "certificate": "security", "credentials": "security",
}


@dataclass
class Taxonomy:
    categories: dict[str, str]
    rules: dict[str, list[tuple[str, float]]]
    aliases: dict[str, str] = field(default_factory=dict)
    fallback: str = "software-bug"

    @classmethod
    def default(cls) -> "Taxonomy":
        return cls(dict(DEFAULT_CATEGORIES), dict(DEFAULT_RULES), dict(DEFAULT_ALIASES))

    def __post_init__(self) -> None:
        self._compiled = {
            cat: [(re.compile(rf"\b(?:{p})\b", re.I), w) for p, w in pats]
            for cat, pats in self.rules.items()
            if cat in self.categories
        }

    @property
    def names(self) -> list[str]:
        return list(self.categories)

    def normalize(self, label: str | None) -> str | None:
        """Map a human label onto a category name, or None if it doesn't map."""
        if not label:
            return None
        key = re.sub(r"[\s_]+", "-", str(label).strip().lower())
        if key in self.categories:
            return key
        return self.aliases.get(key)

    def scores(self, text: str) -> dict[str, float]:
        text = text or ""
        n = max(1, len(text))
        out = {}
        for cat, pats in self._compiled.items():
            score = 0.0
            for pattern, weight in pats:
                for m in pattern.finditer(text):
                    # 2x at the very start fading to 1x at the end: the trigger comes first.
                    score += weight * (2.0 - m.start() / n)
            out[cat] = score
        return out

    def classify(self, text: str, hint: str | list | None = None) -> str:
        hints = hint if isinstance(hint, list) else [hint]
        for h in hints:
            mapped = self.normalize(h)
            if mapped:
                return mapped
        scores = self.scores(text)
        best = max(scores, key=scores.get, default=None)
        if best is None or scores[best] == 0:
            return self.fallback
        return best
