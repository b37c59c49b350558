"""Just-in-time defect prediction: how likely a change is to be reverted or to need a fix.

A logistic model over Kamei et al.'s (2013) change features: size (lines added and removed,
files), diffusion (folders, top-level areas, entropy), history of the touched files (earlier
changes, developers, age, earlier reverts and fixes, files new to the repository) and the
author's experience (earlier commits in these files). Without a repository the model
falls back to size and diffusion alone (``SIZE_ONLY``).

The coefficients are fitted by ``benchmarks/realworld/fit_jit.py`` on the real-world corpus
(docs/risk-evaluation.md): reverted and SZZ fix-inducing commits against date-matched controls
from the same repositories, cross-validated by repository. Because controls are sampled two per
case, the probability is relative (0.33 is an average change of the training set), which is
enough to order changes and to pick out the riskiest tail; it is not a calibrated base rate.
"""

from __future__ import annotations

import math
from reviewer_app.core.records import FrozenRecord
from reviewer_app.core.risk.history import History
from reviewer_app.core.risk.metrics import ChangeMetrics

# Fitted by benchmarks/realworld/fit_jit.py on 9 repositories of repos.toml (466 reverted or
# fix-inducing commits, 882 date-matched controls). Cross-validated by repository (fit on 8, AUC on
# the one left out): mean AUC 0.763 against controls, 0.765 against recent ordinary commits
# (size and diffusion only: 0.733 / 0.732); fixed split, fit on the first 5 repositories
# (Terraform, Helm, kube-prometheus), measured on the other 4: 0.693 (0.677 without history).
# Signs are the data's: files changed often before are *less* likely to need a fix per change
# (prior_changes < 0), files with many earlier reverts and fixes more (past_reverts_and_fixes > 0).
FULL_INTERCEPT = -1.867
FULL = {
    "lines_added": 0.3424, "lines_removed": -0.0278, "files": 0.2646, "directories": -0.2564,
    "areas": 0.8847, "entropy": 0.0394, "prior_changes": -0.6385, "developers": 0.227, "age": 0.0606,
    "past_reverts_and_fixes": 0.575, "new_files_share": -0.2166, "author_changes_here": -0.0823,
}
SIZE_ONLY_INTERCEPT = -2.5728
SIZE_ONLY = {
    "lines_added": 0.3438, "lines_removed": -0.0554, "files": 0.1658, "directories": 0.0238, "areas": 0.5356,
    "entropy": 0.5322,
}

# The training set's mean of each feature: a contribution "raises" the estimate when the change sits
# on the risky side of the average change, which is what a reader can check.
FEATURE_MEANS = {
    "lines_added": 2.9263, "lines_removed": 1.8619, "files": 1.3873, "directories": 1.0678, "areas": 0.8244,
    "entropy": 0.4652, "prior_changes": 3.8277, "developers": 2.6382, "age": 2.6964,
    "past_reverts_and_fixes": 1.8367, "new_files_share": 0.1004, "author_changes_here": 1.5589,
}

# A low change whose probability reaches this is raised to medium (the model never raises further).
# 0.6 is about the 90th percentile of recent ordinary commits on the corpus: 2.1% of them are raised
# (40 of 1,879; most of the top tenth is medium already) and 30 of 466 reverted or fix-inducing
# ones; the score AUC gains 0.005 (0.5 and 0.7 are within 0.004 of 0.6).
RAISE_TO_MEDIUM = 0.6


def features(metrics: ChangeMetrics, history: History | None) -> dict[str, float]:
    """The model's inputs: counts on a log scale (their effect flattens), shares as they are."""
    values = {
        "lines_added": math.log1p(metrics.added), "lines_removed": math.log1p(metrics.removed),
        "files": math.log1p(metrics.files), "directories": math.log1p(metrics.directories),
        "areas": math.log1p(metrics.areas), "entropy": metrics.entropy,
    }
    if history is not None:
        touched = history.files_with_history + history.files_without_history
        values.update(
            prior_changes=math.log1p(history.prior_changes), developers=math.log1p(history.developers),
            age=math.log1p(history.age_days),
            # Reverts and fixes together: apart, the two correlate so closely that their weights split
            # arbitrarily (reverts came out negative, fixes positive); together they are one signal.
            past_reverts_and_fixes=math.log1p(history.past_reverts + history.past_fixes),
            new_files_share=history.files_without_history / touched if touched else 0.0,
            author_changes_here=math.log1p(history.author_changes_here),
        )
    return values


class Prediction(FrozenRecord):
    """The change model's estimate that a change will be reverted or fixed, and why."""

    FIELDS = ("probability", "with_history", "contributions")

    def __init__(self, probability: float, with_history: bool, contributions: dict[str, float]) -> None:
        self.probability = probability
        self.with_history = with_history
        self.contributions = contributions  # each feature's effect on the log-odds against the average change


def predict(metrics: ChangeMetrics, history: History | None) -> Prediction:
    values = features(metrics, history)
    weights, intercept = (FULL, FULL_INTERCEPT) if history is not None else (SIZE_ONLY, SIZE_ONLY_INTERCEPT)
    logit = intercept + sum(weight * values[name] for name, weight in weights.items())
    contributions = {name: weight * (values[name] - FEATURE_MEANS[name]) for name, weight in weights.items()}
    return Prediction(1.0 / (1.0 + math.exp(-logit)), history is not None, contributions)
