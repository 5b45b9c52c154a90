"""Credentials never get stored: every kind, in prose, a code block, a table, JSON and YAML.

The values are made up here from a seeded generator in each provider's shape; none is real."""

import json
import random
import string

import pytest

from pipeline.ingest.scrub import scrub

_rng = random.Random(7)


def _s(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


HEX = "0123456789abcdef"
B64 = string.ascii_letters + string.digits + "+/"

# (name, key for structured placements, the line as it appears in a config/shell, the secret)
CASES = []


def case(name, key, line, secret):
    CASES.append(pytest.param(key, line, secret, id=name))


v = "AKIA" + _s(16, string.ascii_uppercase + string.digits); case("aws-access-key", "aws_access_key_id", f"aws_access_key_id = {v}", v)
v = _s(40, B64); case("aws-secret-key", "aws_secret_access_key", f"aws_secret_access_key={v}", v)
v = "IQoJb3JpZ2luX2VjE" + _s(120, B64); case("aws-session-token", "AWS_SESSION_TOKEN", f"AWS_SESSION_TOKEN={v}", v)
v = _s(40, B64); case("json-secret-access-key", "SecretAccessKey", f'"SecretAccessKey": "{v}"', v)
v = "Xk9" + _s(13); case("db-password-env", "DB_PASSWORD", f"DB_PASSWORD={v}", v)
v = _s(32, HEX); case("datadog-api-key", "DD_API_KEY", f"DD_API_KEY={v}", v)
v = "sk_live_" + _s(24); case("stripe-secret-env", "STRIPE_SECRET_KEY", f"STRIPE_SECRET_KEY={v}", v)
v = "npm_" + _s(36); case("npmrc-auth-token", "_authToken", f"//registry.npmjs.org/:_authToken={v}", v)
v = _s(86, B64) + "=="; case("azure-account-key", "AccountKey", f"DefaultEndpointsProtocol=https;AccountName=ops;AccountKey={v};EndpointSuffix=core.windows.net", v)
v = _s(43, B64).replace("/", "%2F") + "%3D"; case("azure-sas-sig", "sas_url", f"https://ops.blob.core.windows.net/backups?sv=2022-11-02&ss=b&sp=r&sig={v}", v)
v = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ" + _s(40) + "." + _s(43); case("jwt", "session", f"cookie session={v}", v)
v = _s(64, B64); case("pgp-private-key", "signing_key", f"-----BEGIN PGP PRIVATE KEY BLOCK-----\nVersion: GnuPG v2\n\nlQOYBF{v}\n={_s(4, B64)}\n-----END PGP PRIVATE KEY BLOCK-----", v)
v = _s(64, B64); case("rsa-private-key", "tls_key", f"-----BEGIN RSA PRIVATE KEY-----\nMIIEpA{v}\n{_s(64, B64)}\n-----END RSA PRIVATE KEY-----", v)
v = _s(64, B64); case("openssh-private-key", "deploy_key", f"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk{v}\n-----END OPENSSH PRIVATE KEY-----", v)
v = "xapp-1-A0" + _s(9, string.ascii_uppercase + string.digits) + "-" + _s(13, string.digits) + "-" + _s(64, HEX); case("slack-app-token", "SLACK_APP_TOKEN", f"SLACK_APP_TOKEN={v}", v)
v = "xoxb-" + _s(12, string.digits) + "-" + _s(24); case("slack-bot-token", "slack_token", f"slack_token: {v}", v)
v = "glpat-" + _s(20); case("gitlab-token", "GITLAB_TOKEN", f"GITLAB_TOKEN={v}", v)
v = "ghp_" + _s(36); case("github-token", "github_token", f"github_token: {v}", v)
v = "github_pat_" + _s(82, string.ascii_letters + string.digits + "_"); case("github-fine-grained", "GH_PAT", f"GH_PAT={v}", v)
v = "rk_live_" + _s(24); case("stripe-restricted", "stripe_key", f"stripe.api_key = '{v}'", v)
v = "SK" + _s(32, HEX); case("twilio-api-key", "twilio_key_sid", f"twilio api key {v}", v)
v = _s(32, HEX); case("twilio-auth-token", "TWILIO_AUTH_TOKEN", f"TWILIO_AUTH_TOKEN={v}", v)
v = "SG." + _s(22) + "." + _s(43); case("sendgrid-key", "SENDGRID_API_KEY", f"SENDGRID_API_KEY={v}", v)
v = "pypi-AgEIcHlwaS5vcmc" + _s(70, string.ascii_letters + string.digits + "_-"); case("pypi-token", "password", f"[pypi]\nusername = __token__\npassword = {v}", v)
v = "npm_" + _s(36); case("npm-token", "NPM_TOKEN", f"export NPM_TOKEN={v}", v)
v = "hvs." + _s(24); case("vault-token", "VAULT_TOKEN", f"VAULT_TOKEN={v}", v)
v = "AIza" + _s(35, string.ascii_letters + string.digits + "_-"); case("google-api-key", "maps_key", f"maps key {v}", v)
v = "sk-proj-" + _s(48, string.ascii_letters + string.digits + "_-"); case("openai-key", "OPENAI_API_KEY", f"OPENAI_API_KEY={v}", v)
v = "sk-ant-api03-" + _s(90, string.ascii_letters + string.digits + "_-"); case("anthropic-key", "anthropic_key", f"anthropic client key {v}", v)
v = _s(24, B64) + "="; case("basic-auth-header", "Authorization", f"Authorization: Basic {v}", v)
v = _s(40, string.ascii_letters + string.digits + "-_."); case("bearer-header", "Authorization", f"Authorization: Bearer {v}", v)
v = "Pw" + _s(10); case("curl-user", "command", f"curl -u admin:{v} https://grafana.internal/api/health", v)
v = "My" + _s(10); case("mysql-p", "command", f"mysql -h db-primary -u root -p{v} ledger", v)
v = "Rd" + _s(14); case("redis-url", "REDIS_URL", f"redis://:{v}@cache-01:6379/0", v)
v = "Pg" + _s(12); case("postgres-url", "DATABASE_URL", f"postgres://app:{v}@ledger-db:5432/ledger", v)
v = _s(24, B64) + "=="; case("k8s-secret-data", "kubernetes", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: ledger-db\ndata:\n  db-url: {v}\n  user: YWRtaW4=", v)
v = _s(40, B64) + "="; case("docker-auth", "auths", '{"auths": {"registry.example.io": {"auth": "' + v + '"}}}', v)
v = "ATATT3xFfGF0" + _s(180, string.ascii_letters + string.digits + "_-"); case("atlassian-token", "CONFLUENCE_TOKEN", f"CONFLUENCE_TOKEN={v}", v)
v = "dop_v1_" + _s(64, HEX); case("digitalocean-token", "DO_TOKEN", f"doctl auth init -t {v}", v)
v = "shpat_" + _s(32, HEX); case("shopify-token", "shopify", f"shopify admin token {v}", v)
v = "hf_" + _s(34); case("huggingface-token", "HF_TOKEN", f"HF_TOKEN={v}", v)
v = "key-" + _s(32); case("mailgun-key", "mailgun", f"mailgun api {v}", v)
v = _s(8, string.digits) + ":AA" + _s(33, string.ascii_letters + string.digits + "_-"); case("telegram-bot-token", "bot", f"bot token {v}", v)
v = "Cs" + _s(30); case("client-secret", "client_secret", f"client_secret: {v}", v)
v = "NRAK-" + _s(27, string.ascii_uppercase + string.digits); case("newrelic-key", "NEW_RELIC_API_KEY", f"NEW_RELIC_API_KEY={v}", v)
v = "Tk" + _s(30); case("generic-token-yaml", "auth_token", f"auth_token: {v}", v)
v = "P4ss" + _s(8); case("password-prose", "password", f"the admin password was {v[:0]}password={v}", v)
v = _s(32, string.ascii_letters + string.digits); case("random-assignment", "upstream_shared", f"upstream_shared={v}", v)
v = "dapi" + _s(32, HEX); case("databricks-token", "DATABRICKS_TOKEN", f"databricks configure token {v}", v)


def placements(key: str, line: str) -> dict[str, str]:
    structured_value = line.split("=", 1)[1] if key.isupper() and line.startswith(key + "=") else line
    return {
        "prose": f"During the incident we found this in the logs: {line} and rotated it afterwards.",
        "code": f"```\n{line}\n```",
        "table": "| setting | value |\n|---|---|\n" + "\n".join(f"| {key} | {part} |" for part in line.split("\n")),
        "json": json.dumps({key: structured_value, "region": "eu-west-1"}, indent=2),
        "yaml": f"config:\n  {key}: " + ("|\n    " + line.replace("\n", "\n    ") if "\n" in structured_value else structured_value),
    }


@pytest.mark.parametrize("key, line, secret", CASES)
def test_every_kind_is_redacted_in_every_placement(key, line, secret):
    for where, text in placements(key, line).items():
        doc = f"# Ledger outage\n\n## Root cause\nA config push.\n\n{text}\n\n## Resolution\nRolled back.\n"
        out, found = scrub(doc)
        assert secret not in out, f"{where}: leaked\n{out}"
        assert found, where
        assert "## Resolution\nRolled back." in out, f"{where}: the rest of the document must survive"


def test_there_are_at_least_48_kinds():
    assert len(CASES) >= 48


def test_a_key_header_without_its_end_redacts_only_the_key():
    text = (
        "## Root cause\nThe deploy key leaked:\n-----BEGIN RSA PRIVATE KEY-----\n"
        + "\n".join(_s(64, B64) for _ in range(3))
        + "\n\n## Resolution\nWe rotated the key and restarted the deployer.\n"
    )
    out, found = scrub(text)
    assert found == {"private-key": 1}
    assert "## Resolution\nWe rotated the key and restarted the deployer." in out
    assert "BEGIN RSA" not in out


@pytest.mark.parametrize(
    "text",
    [
        "We reset the password policy and rotated tokens.",
        "Root cause: the token: expired at midnight.",
        "| Token | Expired |",
        "The api key: rotated on 2024-03-02 by the on-call.",
        "Commit 3f6c2a9e4b1d7c8a9e0f1a2b3c4d5e6f7a8b9c0d was deployed at 14:02.",
        "image: registry.internal/ledger@sha256:" + "ab" * 32,
        "secret rotation runbook: see docs/runbooks/rotate.md",
        "password: ********",
        "DB_PASSWORD=${DB_PASSWORD}",
        "Post-mortem: file:///srv/runbooks/postmortems/PM2024-003%20-%20Ledger%20DB%20RAID%20failure.md",
        "Backups land in s3://ops-backups/LedgerDb2024/Nightly/Full and gs://ops-logs/Region2/Archive",
    ],
)
def test_prose_about_secrets_is_left_alone(text):
    assert scrub(text) == (text, {})


def test_hostile_input_scrubs_in_linear_time():
    # Long runs that used to make look-behind/nested patterns backtrack: each pattern is
    # bounded, so these finish at once (a slow pattern would hit pytest's timeout).
    for text in ("a" * 200_000, "token" * 40_000, "=" * 200_000, "-----BEGIN " * 20_000, "x:" * 100_000):
        out, _ = scrub(text)
        assert len(out) <= len(text) + 100


def test_no_secret_reaches_the_database_fts_or_export(tmp_path):
    from click.testing import CliRunner

    from pipeline.cli import main
    from storage import Database

    folder = tmp_path / "pm" / "postmortems"
    folder.mkdir(parents=True)
    secrets = []
    for n, p in enumerate(CASES):
        key, line, secret = p.values
        secrets.append(secret)
        (folder / f"2024-02-{n % 28 + 1:02d}-incident-{n}.md").write_text(
            f"# Ledger outage {n}\n\n## Root cause\nA bad config push to ledger-db exposed {line}\n\n"
            f"## Resolution\nRolled back the config and rotated {key}.\n"
        )
    db_path = tmp_path / "pm.db"
    runner = CliRunner()
    assert runner.invoke(main, ["extract", "--source", "dir", "--path", str(tmp_path / "pm"), "--db", str(db_path), "--quiet"]).exit_code == 0
    exported = runner.invoke(main, ["export", "--db", str(db_path)]).output
    db = Database(db_path)
    assert len(db.incidents()) == len(CASES)
    dump = "\n".join(db.db.conn.iterdump())  # every table, the FTS index's shadow tables too
    for secret in secrets:
        assert secret not in dump and secret not in exported
