"""Metric functions against values computed by hand."""

import pytest

from pipeline.evaluate import metrics
from pipeline.serve.answer import Calibration
from pipeline.evaluate.harness import fit_calibration


def test_rouge_l_hand_computed():
    # LCS of "the cat sat on the mat" / "the cat is on the mat" is "the cat on the mat":
    # 5 of 6 tokens on each side, so P = R = F = 5/6.
    assert metrics.rouge_l("the cat sat on the mat", "the cat is on the mat") == pytest.approx(5 / 6)
    # "rolled back the release" vs "the release was rolled back": LCS 2 ("rolled back" or
    # "the release"), P = 2/4, R = 2/5, F = 2PR/(P+R) = 4/9.
    assert metrics.rouge_l("rolled back the release", "the release was rolled back") == pytest.approx(4 / 9)
    assert metrics.rouge_l("", "anything") == 0.0
    assert metrics.rouge_l("Restarted CoreDNS.", "restarted coredns") == pytest.approx(1.0)


def test_services_f1_hand_computed():
    # normalized: {payments api, ledger db} vs {payments api, kafka}: 1 hit, P = R = 1/2.
    assert metrics.services_f1(["Payments-API", "Ledger DB"], ["payments api service", "kafka"]) == pytest.approx(0.5)
    # {a, b, c} vs {a}: P = 1/3, R = 1, F = 2*(1/3)/(4/3) = 1/2.
    assert metrics.services_f1(["coredns", "kiam", "ingress"], ["CoreDNS"]) == pytest.approx(0.5)
    assert metrics.services_f1([], []) == 1.0
    assert metrics.services_f1(["x"], []) == 0.0
    assert metrics.services_f1(["x"], ["y"]) == 0.0


def test_split_services_reads_a_generated_list():
    text = "Services affected: payments-api, `ledger-db` and kafka.\n- webhook-dispatcher"
    assert metrics.split_services(text) == ["payments-api", "ledger-db", "kafka", "webhook-dispatcher"]
    # A sentence rather than a list, as a base model writes it.
    sentence = "The services that were affected were payments-api and the ledger-db service."
    assert metrics.split_services(sentence) == ["payments-api", "the ledger-db service"]
    assert metrics.services_f1(metrics.split_services(sentence), ["payments-api", "ledger-db"]) == 1.0


def test_category_match():
    assert metrics.category_match("Software Bug", "software-bug") == 1.0
    assert metrics.category_match("network", "dns") == 0.0
    assert metrics.category_match(None, "network") == 0.0


def test_recall_and_reciprocal_rank():
    ranked = [7, 3, 9]
    assert metrics.recall_at_k(ranked, 3, 1) == 0.0
    assert metrics.recall_at_k(ranked, 3, 3) == 1.0
    assert metrics.reciprocal_rank(ranked, 9) == pytest.approx(1 / 3)
    assert metrics.reciprocal_rank(ranked, 4) == 0.0
    assert metrics.mean([]) == 0.0


def test_calibration_fit_moves_towards_the_data_and_stays_near_the_prior():
    assert fit_calibration([]).weights == Calibration().weights
    right = {"similarity": 0.9, "share": 1.0, "agree": 1.0}
    wrong = {"similarity": 0.2, "share": 0.4, "agree": 0.0}
    # The defaults say ~0.97 for `right` and ~0.2 for `wrong`; held-out data where `right`
    # cases are right only half the time and `wrong` ones mostly right pulls both in.
    data = [(right, 1.0)] * 20 + [(right, 0.0)] * 20 + [(wrong, 1.0)] * 30 + [(wrong, 0.0)] * 10
    fitted = fit_calibration(data)
    assert fitted.n == 80
    assert 0.5 < fitted.confidence(right) < Calibration().confidence(right) - 0.1
    assert fitted.confidence(wrong) > Calibration().confidence(wrong) + 0.2
    # Two contradicting examples barely move the default weights.
    few = fit_calibration([(right, 0.0), (wrong, 1.0)])
    assert max(abs(a - b) for a, b in zip(few.weights, Calibration().weights)) < 1.5


def test_expected_calibration_error_and_reliability_hand_computed():
    # Bin [0.9, 1.0): 4 answers at 0.9, 3 right -> gap 0.15; bin [0.2, 0.3): 2 at 0.2, 1 right -> 0.3.
    conf = [0.9, 0.9, 0.9, 0.9, 0.2, 0.2]
    right = [1, 1, 1, 0, 1, 0]
    assert metrics.expected_calibration_error(conf, right) == pytest.approx(4 / 6 * 0.15 + 2 / 6 * 0.3)
    bins = metrics.reliability(conf, right)
    assert [(b["bin"], b["n"]) for b in bins] == [(0.2, 2), (0.9, 4)]
    assert bins[1]["accuracy"] == pytest.approx(0.75) and bins[1]["confidence"] == pytest.approx(0.9)
    assert metrics.expected_calibration_error([1.0, 0.0], [1, 0]) == 0.0
    assert metrics.expected_calibration_error([], []) == 0.0


def test_paired_bootstrap_is_deterministic_and_brackets_the_difference():
    a, b = [0.9, 0.8, 0.7, 0.9, 0.6], [0.5, 0.6, 0.7, 0.4, 0.6]
    diff, low, high = metrics.paired_bootstrap(a, b)
    assert diff == pytest.approx(0.22)
    assert low <= diff <= high and (diff, low, high) == metrics.paired_bootstrap(a, b)
    assert metrics.paired_bootstrap([0.5] * 4, [0.5] * 4) == (0.0, 0.0, 0.0)


def test_services_f1_containment_matches_fuller_names_and_plurals():
    from pipeline.evaluate.metrics import services_f1_containment

    # traefik ~ traefik v2, kubernetes node ~ kubernetes nodes; "alb" matches nothing:
    # precision 2/3, recall 2/3.
    got = services_f1_containment(["traefik", "kubernetes node", "alb"], ["traefik v2", "kubernetes nodes", "grafana"])
    assert abs(got - 2 / 3) < 1e-9
    assert services_f1_containment(["kube"], ["kube-state-metrics"]) == 1.0  # whole words: kube state metric
    assert services_f1_containment(["metrics"], ["kube-state-metrics"]) == 1.0
    assert services_f1_containment(["state"], ["statefulset"]) == 0.0  # never part of a word
    assert services_f1_containment([], []) == 1.0 and services_f1_containment(["a"], []) == 0.0
