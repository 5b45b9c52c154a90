"""The parser benchmark's report: formats, the held-out organization, the confusion table."""

import json

from bench.parser import confusion_table, doc_format, quality

DOC = """# {title}

## Summary

{summary}

## Root cause

{cause}

## Resolution

{fix}
"""


def _write(folder, org, name, title, cause, fix, category, services):
    path = folder / org / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(DOC.format(title=title, summary=f"{title} for a while.", cause=cause, fix=fix))
    return {"path": f"{org}/{name}", "parseable": True, "root_cause": cause, "fix": fix,
            "root_cause_category": category, "services_affected": services}


def test_doc_format():
    assert doc_format("org/a/b.md") == "md"
    assert doc_format("org/incidents/x.html.md.erb") == "md"
    assert doc_format("org/PM2022-009 - Bad AMI causing issues") == "none"
    assert doc_format("org/report.PDF") == "pdf"


def test_quality_reports_the_held_out_organization_apart(tmp_path):
    labels = [
        _write(tmp_path, "north", "one.md", "Billing API outage", "The v2.3 release of billing-api shipped a broken parser.",
               "We rolled back the release of billing-api.", "deployment", ["billing-api"]),
        _write(tmp_path, "north", "two.md", "Queue full", "The orders queue ran out of disk space during a traffic spike.",
               "We increased the disk and drained the queue.", "capacity", ["orders queue"]),
        _write(tmp_path, "south", "three.md", "Token leak", "An attacker used a leaked deploy token to push images.",
               "We rotated the token and removed the images.", "security", []),
    ]
    (tmp_path / "labels.jsonl").write_text("\n".join(json.dumps(l) for l in labels))
    out = quality(tmp_path, tmp_path / "labels.jsonl", held_out="south")
    assert out["tuned"]["documents"] == 2
    assert out["held_out (south)"]["documents"] == 1
    assert out["tuned"]["stored"] == "2/2"
    assert out["tuned"]["category_accuracy"] == 1.0
    assert set(out["by_org"]) == {"north", "south"}
    assert out["tuned"]["root_cause_recall_median"] == 1.0
    assert out["tuned"]["category_on_gold_cause"] == 1.0
    assert "deployment" in out["confusion_tuned"]


def test_confusion_table_counts_gold_by_predicted():
    rows = [
        {"gold_category": "network", "category": "configuration"},
        {"gold_category": "network", "category": "network"},
        {"gold_category": "configuration", "category": "configuration"},
    ]
    lines = confusion_table(rows).splitlines()
    assert lines[0].split()[-2:] == ["config", "networ"]
    assert lines[2].split() == ["network", "1", "1"]
