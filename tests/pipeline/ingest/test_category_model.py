"""The learned category model (pipeline.ingest.category_model): its plain-Python scoring is the
scikit-learn model it was trained as, the taxonomy takes its category only where it is sure and
only for the categories it knows, and a sync stores where the category came from."""

import json
import re

import pytest

from pipeline.config import Config
from pipeline.ingest import category_model
from pipeline.ingest.extractors.local import LocalFolder
from pipeline.ingest.sync import ingest
from pipeline.ingest.taxonomy import Taxonomy
from storage import Database

RAID = """# Storage node 14 lost its volume

## Root cause
The RAID controller in storage node 14 failed and took two disks offline at once, so the volume
went read-only.

## Resolution
We failed the volume over to its replica and replaced the controller.
"""

# Causes the keyword rules know nothing of: they fall back to software-bug on every one.
TOY = [
    ("Gremlins in the pantry", "gremlins ate the pudding in the pantry", "we hid the pudding", "hardware"),
    ("Gremlins again", "gremlins ate the pudding again", "we hid the pudding again", "hardware"),
    ("Gremlin visit", "gremlins ate all the pudding", "hid the pudding", "hardware"),
    ("Wizard spell", "a wizard cast a spell on the token vault", "we banished the wizard", "security"),
    ("Wizard again", "the wizard cast another spell on the vault", "banished the wizard again", "security"),
    ("Wizardry", "a wizard spell hit the token vault", "banished the wizard", "security"),
]


def toy_model(tmp_path, threshold, lean=0.4):
    pytest.importorskip("sklearn")
    labels = tmp_path / "causes.jsonl"
    labels.write_text("\n".join(json.dumps({"title": t, "root_cause": r, "fix": f, "category": c}) for t, r, f, c in TOY))
    saved = category_model.train([], labels, max_features=100, c=10.0, threshold=threshold, lean=lean)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(saved))
    return category_model.load.__wrapped__(path), saved


def test_scoring_reproduces_scikit_learn(tmp_path):
    model, _ = toy_model(tmp_path, threshold=0.6)
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = [category_model.text(t, r, f) for t, r, f, _ in TOY]
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=100)
    reference = LogisticRegression(C=10.0, max_iter=3000).fit(vectorizer.fit_transform(texts), [c for *_, c in TOY])
    expected = reference.predict_proba(vectorizer.transform(texts))
    for (t, r, f, _), row in zip(TOY, expected):
        mine = model.probabilities(t, r, f)
        assert [round(mine[c], 5) for c in reference.classes_] == [round(float(p), 5) for p in row]


def test_the_taxonomy_takes_the_models_category_only_where_it_is_sure(tmp_path):
    sure, _ = toy_model(tmp_path, threshold=0.6)
    rules = Taxonomy.default()
    toy_taxonomy = Taxonomy({c: "" for c in ("hardware", "security")}, rules.rules, model=sure)
    title, cause, fix = "Gremlins at lunch", "gremlins ate the pudding", "we hid the pudding"
    assert toy_taxonomy.classify_incident(title, cause, fix) == "software-bug"  # the rules' fallback
    category, origin = toy_taxonomy.decide(title, cause, fix)
    assert category == "hardware" and re.fullmatch(r"category model \([01]\.\d\d\)", origin)
    # A document that names its category keeps it; an unsure model leaves it to the rules.
    assert toy_taxonomy.decide(title, cause, fix, hint="Security") == ("security", "hint")
    unsure, _ = toy_model(tmp_path, threshold=0.99, lean=0.99)
    assert Taxonomy(toy_taxonomy.categories, rules.rules, model=unsure).decide(title, cause, fix) == ("software-bug", "keywords")


def test_below_its_threshold_the_model_decides_only_against_a_category_it_finds_unlikely():
    import math

    # No terms: the probabilities are the softmax of the intercepts, 0.50 / 0.45 / 0.05.
    model = category_model.CategoryModel(("a", "b", "c"), {}, tuple(math.log(p) for p in (0.50, 0.45, 0.05)), threshold=0.6, lean=0.4, unlikely=0.1)
    assert model.sure("t", "cause") is None  # no rules' category to weigh: only the threshold counts
    assert model.sure("t", "cause", against="b") is None  # the rules' pick is plausible (0.45)
    category, p = model.sure("t", "cause", against="c")  # the rules' pick is unlikely (0.05)
    assert category == "a" and round(p, 2) == 0.5


def test_a_taxonomy_with_categories_the_model_does_not_know_is_decided_by_its_rules():
    config = Config(taxonomy={"categories": {"dns-infra": "DNS servers and resolvers"}})
    custom = config.build_taxonomy()
    assert custom.model is not None  # carried from the default, and set aside for other categories
    assert custom.decide("Storage node 14 lost its volume", "The RAID controller failed and took two disks offline.") == ("hardware", "keywords")
    assert Taxonomy.default().decide("Storage node 14 lost its volume", "The RAID controller failed and took two disks offline.")[1].startswith("category model")


def test_the_shipped_model_says_what_it_was_trained_on():
    saved = json.loads(category_model.MODEL_PATH.read_text())
    # Only text written for this project: ../shared/corpus stays a fair test of it.
    assert saved["trained_on"] == ["bench/data/writeups/labels.jsonl", "samples/labels.jsonl", "bench/data/causes.jsonl"]
    assert (saved["threshold"], saved["lean"], saved["unlikely"]) == (category_model.THRESHOLD, category_model.LEAN, category_model.UNLIKELY)
    assert sorted(saved["classes"]) == sorted(Taxonomy.default().names)
    assert saved["examples"] > 1500


def test_a_sync_stores_the_models_category_with_its_probability(tmp_path):
    folder = tmp_path / "pm"
    folder.mkdir()
    (folder / "raid.md").write_text(RAID)
    db = Database(tmp_path / "pm.db")
    ingest(db, LocalFolder(folder))
    (row,) = db.incidents()
    assert row["root_cause_category"] == "hardware"
    origin = row["provenance"]["root_cause_category"]
    assert origin.startswith("category model (0.") and float(origin[len("category model ("):-1]) >= category_model.THRESHOLD
