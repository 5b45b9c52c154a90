from pipeline.ingest.decode import decode
from pipeline.ingest.scrub import scrub


def test_secrets_are_redacted_and_counted():
    text = (
        "key AKIAIOSFODNN7EXAMPLE, slack xoxb-1234567890-abcdefghij, gh ghp_" + "a" * 36 + "\n"
        "dsn postgres://svc:hunter2pass@ledger-db:5432/ledger\n"
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig\n"
        "password=Sup3rS3cret\n"
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----\n"
    )
    out, counts = scrub(text)
    for leaked in ("AKIAIOSFODNN7EXAMPLE", "xoxb-", "ghp_", "hunter2pass", "eyJhbGci", "Sup3rS3cret", "MIIEow"):
        assert leaked not in out
    assert counts == {
        "aws-access-key": 1, "slack-token": 1, "github-token": 1, "url-password": 1,
        "bearer-token": 1, "password": 1, "private-key": 1,
    }
    assert "postgres://[REDACTED:url-password]@ledger-db" in out


def test_prose_about_passwords_is_left_alone():
    text = "We reset the password policy and rotated tokens."
    assert scrub(text) == (text, {})


def test_decode_reasons():
    assert decode(b"")[1] == "empty"
    assert decode(b"  \n")[1] == "empty"
    assert decode(b"\x89PNG\r\n\x1a\n\x00\x00\x00")[1] == "binary"
    assert decode(b"x" * 2_000_001)[1] == "too-large"
    text, reason, _ = decode("caf\xe9 outage".encode("cp1252"))
    assert reason is None and text == "café outage"
    assert decode("# ok\n".encode("utf-8-sig"))[0] == "# ok\n"
