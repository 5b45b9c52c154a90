"""`postmortem eval` on hand-made incidents with a stored held-out split, and
`postmortem eval-retrieval` on a query file and on the sample corpus's query set."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.evaluate.retrieval import QueryFileError, evaluate_retrieval, read_queries
from pipeline.evaluate.harness import SERVED_METRICS, EvalConfig, EvalError, evaluate
from pipeline.serve.index import rebuild_index
from storage import Database
from storage.models import ModelStore
from tests.pipeline.incidents import INCIDENTS, record, seed
from tests.paths import SAMPLES

HELDOUT = ("kafka-disk", "cert-expiry")


@pytest.fixture
def eval_db(incident_db, embedder):
    """The hand incidents plus a twin of kafka-disk (same fix, services and category), with
    kafka-disk and cert-expiry stored as the held-out split."""
    twin = dict(INCIDENTS[1], source_id="kafka-disk-2", incident_title="Kafka disks full again at quarter end", date="2024-04-01")
    incident_db.upsert_incident(record(**twin))
    rebuild_index(incident_db, embedder)
    incident_db.db["splits"].insert_all(
        [{"source": r["source"], "source_id": r["source_id"], "split": "heldout" if r["source_id"] in HELDOUT else "train"}
         for r in incident_db.incidents()]
    )
    return incident_db


def test_eval_run_on_the_base_model(eval_db, tmp_path):
    progress = []
    report = evaluate(eval_db, EvalConfig(max_tokens=12, output_dir=str(tmp_path / "out")),
                      progress=lambda *a: progress.append(a))

    assert report.n_incidents == 2 and report.model_id is None
    assert progress == [(0, 2), (1, 2), (2, 2)]
    assert list(report.results) == ["base", "base+retrieval", "retrieval-only"]
    seed = report.results["base"]
    assert set(seed) == {"category_em", "fix_rougeL", "services_f1", "mean", "n"}
    for name in ("base+retrieval", "retrieval-only"):
        assert set(report.results[name]) == {*SERVED_METRICS, "mean", "n"}
    for row in report.results.values():
        assert all(0.0 <= v <= 1.0 for k, v in row.items() if k != "n" and v is not None)
    # Retrieval-only answers with the nearest *other* incident, as the evidence answer: it
    # cites [1] and says only what that incident says. No model text: no raw faithfulness.
    evidence = report.results["retrieval-only"]
    assert evidence["cites"] == 1.0 and evidence["faithfulness"] == 1.0
    assert evidence["raw_faithfulness"] is None and report.results["base+retrieval"]["raw_faithfulness"] is not None
    # What is shown passed the grounding check: as faithful as the evidence it starts from.
    assert report.results["base+retrieval"]["faithfulness"] >= 0.95
    assert evidence["n"]["category"] == 2

    stored = ModelStore(eval_db).eval_run(report.run_id)
    assert stored["results"] == report.results and stored["n_incidents"] == 2
    details = stored["details"]
    assert details["calibration"]["n"] == 2
    # Two held-out questions are too few to fit a match threshold: none is stored for answers.
    from pipeline.serve.answer import MatchThreshold, load_match_threshold

    assert details["match_threshold"]["n"] == 0 and load_match_threshold(ModelStore(eval_db)) == MatchThreshold()
    assert details["served"]["no_match"]["threshold"] == MatchThreshold().threshold
    assert sorted(sid for _, sid in details["heldout"]) == sorted(HELDOUT)
    # Per-incident scores, aligned with the held-out incidents, for the gate's paired test.
    assert len(details["per_incident"]["base+retrieval"]["category"]) == 2
    assert details["served"]["system"] == "base+retrieval"
    assert 0.0 <= details["served"]["ece"] <= 1.0
    assert json.loads(Path(report.json_path).read_text())["results"] == report.results
    for png in (report.chart_path, report.reliability_path):
        assert Path(png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = report.table()
    assert "retrieval-only" in table and "category EM" in table and "faithful" in table and "ECE" in table


def test_eval_fits_the_match_threshold_answers_then_use(incident_db, tmp_path):
    """Enough held-out questions to fit one: the run stores the threshold, measures no-match
    precision at it, and an answerer built afterwards uses it."""
    from pipeline.learn.dataset import symptom_question
    from pipeline.serve.answer import Answerer, load_match_threshold
    from pipeline.serve.backends import Backend

    for copy in ("copy-1", "copy-2"):  # the held-out side: every hand incident, twice more
        seed(incident_db, source=copy)
    rebuild_index(incident_db)
    incident_db.db["splits"].insert_all(
        [{"source": r["source"], "source_id": r["source_id"], "split": "train" if r["source"] == "hand" else "heldout"}
         for r in incident_db.incidents()]
    )
    asked = [i for i in incident_db.incidents() if i["source"] != "hand" and symptom_question(i)]
    assert len(asked) >= 10
    store = ModelStore(incident_db)
    assert Answerer(incident_db, backend=Backend()).match_threshold.n == 0  # no eval run yet: the default

    report = evaluate(incident_db, EvalConfig(max_tokens=4, output_dir=str(tmp_path)))

    fitted = ModelStore(incident_db).eval_run(report.run_id)["details"]["match_threshold"]
    assert fitted["n"] == 2 * len(asked)  # each question with its own incident in the index and left out
    assert report.details["served"]["no_match"]["threshold"] == fitted["threshold"]
    assert load_match_threshold(store).to_dict() == fitted
    answerer = Answerer(incident_db, backend=Backend())
    assert answerer.match_threshold.to_dict() == fitted
    assert answerer.evidence(asked[0]["incident_title"]).threshold == fitted["threshold"]
    assert "match threshold fitted" in report.table()


def test_seed_questions_generate_only_what_is_scored(fake_openai):
    """A question the incident has no answer to is not asked, and a root-cause answer ends
    at a `[category]` prefix the taxonomy knows: the category is all that is scored of it."""
    from pipeline.evaluate.harness import _answer, _seed_gold
    from pipeline.ingest.taxonomy import Taxonomy
    from pipeline.serve.answer import model_category
    from pipeline.serve.backends import OpenAIBackend

    fake_openai.reply = "[database] The primary ran out of connections, so we raised the pool size."
    taxonomy = Taxonomy.default()
    incident = {**record(**INCIDENTS[0]), "services_affected": []}
    gold = _seed_gold(incident, taxonomy)
    said = _answer(OpenAIBackend(fake_openai.base_url, "pm"), incident, None, gold, 48, taxonomy)

    assert set(said) == set(gold) == {"root_cause", "fix"} and len(fake_openai.requests) == 2
    assert said["root_cause"] == "[database]"
    assert model_category(said["root_cause"], taxonomy) == model_category(fake_openai.reply, taxonomy)
    assert said["fix"] == fake_openai.reply  # every other answer is read whole
    # An unknown tag is no category: the answer goes on, and the taxonomy reads all of it.
    fake_openai.reply = "[misc] The primary ran out of connections."
    said = _answer(OpenAIBackend(fake_openai.base_url, "pm"), incident, None, {"root_cause": gold["root_cause"]}, 48, taxonomy)
    assert said["root_cause"] == fake_openai.reply


def test_models_answer_side_by_side_and_incidents_come_back_in_order(fake_openai):
    """Each model goes through the incidents on its own; every incident comes back once, in
    order, with each model's own answers, and a model that fails fails the run."""
    from pipeline.evaluate.harness import _answered, _seed_gold
    from pipeline.ingest.taxonomy import Taxonomy
    from pipeline.serve.backends import BackendError, OpenAIBackend
    from tests.fakes.openai_server import FakeOpenAI

    taxonomy = Taxonomy.default()
    incidents = [record(**fields) for fields in INCIDENTS[:3]]
    golds = [_seed_gold(i, taxonomy) for i in incidents]
    prompts = ["### Question:\nwhat now?\n\n### Answer:\n", None, "### Question:\nand now?\n\n### Answer:\n"]
    with FakeOpenAI(reply="Restarted the ledger-db replica.") as other:
        models = {"a": OpenAIBackend(fake_openai.base_url, "a"), "b": OpenAIBackend(other.base_url, "b")}
        answered = list(_answered(models, incidents, prompts, golds, 8, taxonomy))
        assert [i for i, _ in answered] == [0, 1, 2]
        for i, answers in answered:
            assert list(answers) == ["a", "b"]
            assert answers["a"]["fix"] == "Scale CoreDNS out, as in [1]."
            assert answers["b"]["fix"] == "Restarted the ledger-db replica."
            assert ("served" in answers["a"]) == (prompts[i] is not None)

        other.fault("500", "/v1/completions", times=None)
        with pytest.raises(BackendError, match="endpoint failed"):
            list(_answered(models, incidents, prompts, golds, 8, taxonomy))


def test_served_task_never_shows_the_incident_itself(eval_db, tmp_path):
    """The symptom question is asked over the other incidents: kafka-disk's twin can be
    found, kafka-disk itself never (it is not in the index in service either)."""
    from pipeline.learn.dataset import heldout_incidents, symptom_question
    from pipeline.serve.retrieve import Retriever

    retriever = Retriever(eval_db)
    for incident in heldout_incidents(eval_db):
        question = symptom_question(incident)
        assert question and incident["root_cause"] not in question
        hits = retriever.search(question, k=3, exclude_ids={incident["id"]})
        assert incident["id"] not in {h.incident["id"] for h in hits}


def test_eval_run_on_a_fine_tuned_candidate(eval_db, tmp_path, tiny_adapter):
    folder, gguf_path = tiny_adapter
    store = ModelStore(eval_db)
    model_id = store.add_candidate(name="tiny", base_model="embedded", adapter_path=str(folder),
                                   gguf_adapter_path=str(gguf_path), report={})
    report = evaluate(eval_db, EvalConfig(model=model_id, max_tokens=8, limit=1, output_dir=str(tmp_path)))
    assert list(report.results) == ["base", "fine-tuned", "base+retrieval", "fine-tuned+retrieval", "retrieval-only"]
    assert report.model_id == model_id and store.get(model_id)["eval_run_id"] == report.run_id
    # The Answerer of this model now uses the calibration fitted in this run.
    from pipeline.serve.answer import load_calibration

    assert load_calibration(store, model_id).n == 1


def test_eval_scores_with_the_configured_taxonomy(eval_db, tmp_path):
    """A custom category from postmortem.toml is a category the evaluation knows."""
    config = tmp_path / "postmortem.toml"
    config.write_text('[taxonomy]\ncategories = { queueing = "message queues backing up" }\n')
    from pipeline.evaluate.harness import _taxonomy
    from pipeline.ingest.taxonomy import Taxonomy

    assert Taxonomy.default().normalize("queueing") is None  # what eval scored with before
    assert _taxonomy(str(config)).normalize("queueing") == "queueing"
    bad = tmp_path / "bad.toml"
    bad.write_text('[taxonomy]\nfallback = "nonsense"\n')
    with pytest.raises(EvalError, match="fallback"):
        evaluate(eval_db, EvalConfig(config=str(bad), limit=1, output_dir=str(tmp_path)))


def test_eval_errors_are_clear(tmp_path, eval_db):
    with pytest.raises(EvalError, match="extract post-mortems first"):
        evaluate(Database(tmp_path / "empty.db"), EvalConfig())
    with pytest.raises(EvalError, match="no model #99"):
        evaluate(eval_db, EvalConfig(model=99))
    from pipeline.cli import main

    result = CliRunner().invoke(main, ["eval", "--db", str(tmp_path / "empty.db")])
    assert result.exit_code == 1 and "Error: no held-out incidents" in result.output


def test_eval_cli_json(eval_db, tmp_path):
    from pipeline.cli import main

    result = CliRunner().invoke(main, ["eval", "--db", str(eval_db.path), "--json", "--max-tokens", "8",
                                       "--limit", "1", "--output-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["n_incidents"] == 1 and "retrieval-only" in payload["results"]


def test_eval_retrieval_on_a_query_file(incident_db, tmp_path):
    queries = tmp_path / "q.jsonl"
    queries.write_text(
        "\n".join(json.dumps(q) for q in [
            {"query": "brokers out of disk at month end", "expected_source_id": "kafka-disk"},
            {"query": "stale balances, replica way behind", "expected_source_id": "hand/replica-lag"},
            {"query": "pods can't resolve service names", "expected_source_id": "dns-timeouts"},
            {"query": "something else entirely", "expected_source_id": "not-stored"},
        ]) + "\n"
    )
    result = evaluate_retrieval(incident_db, read_queries(queries))
    assert result["n"] == 3 and result["skipped"] == ["not-stored"]
    assert result["recall@3"] == 1.0 and result["recall@1"] <= result["recall@3"]
    assert 0 < result["mrr"] <= 1.0

    from pipeline.cli import main

    out = CliRunner().invoke(main, ["eval-retrieval", "--db", str(incident_db.path), "--queries", str(queries), "--json"])
    assert out.exit_code == 0, out.output
    assert {"recall@1", "recall@3", "mrr", "n"} <= set(json.loads(out.output))

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"query": "x"}\n')
    with pytest.raises(QueryFileError, match="bad.jsonl:1"):
        read_queries(bad)
    out = CliRunner().invoke(main, ["eval-retrieval", "--db", str(incident_db.path), "--queries", str(bad)])
    assert out.exit_code == 1 and 'needs "query" and "expected_source_id"' in out.output


@pytest.mark.skipif(not (SAMPLES / "queries.jsonl").exists(), reason="sample corpus not present")
def test_sample_query_set_recall(tmp_path, embedder):
    from pipeline.ingest.extractors.local import LocalFolder
    from pipeline.ingest.sync import ingest

    db = Database(tmp_path / "samples.db")
    for org in sorted(p for p in SAMPLES.iterdir() if p.is_dir()):
        ingest(db, LocalFolder(org, name=org.name))
    rebuild_index(db, embedder)
    result = evaluate_retrieval(db, read_queries(SAMPLES / "queries.jsonl"))
    assert result["n"] >= 30 and not result["skipped"]
    assert result["recall@3"] >= 0.9
