#!/usr/bin/env python3
"""Baselines for the score-leads bench: scikit-learn HistGradientBoosting and
XGBoost with default settings, on the same 5 stratified folds (written by
`score-leads evaluate --folds-file`) and the same chronological holdout (first 80% of rows by file
order, last 20%) as `score-leads evaluate`. Categoricals are one-hot coded,
numeric columns passed as they are, missing as NaN.
Usage: leads_baseline.py DATA_DIR BANK_FOLDS XEDUCATION_FOLDS
"""
import csv
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
import xgboost as xgb


def load(path, sep):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter=sep))
    head = rows[0]
    return {c: [r[i] if i < len(r) else "" for r in rows[1:]] for i, c in enumerate(head) if c}


def design(cols, feats, missing):
    parts = []
    for c in feats:
        vals = ["" if v in missing else v for v in cols[c]]
        try:
            parts.append(np.array([float(v) if v != "" else np.nan for v in vals])[:, None])
        except ValueError:
            levels = sorted(set(vals) - {""})
            a = np.array(vals)
            parts.append(np.stack([(a == lv).astype(float) for lv in levels], 1))
    return np.hstack(parts)


def fold_splits(path):
    fold = np.array([int(v) for v in open(path).read().split()])
    return [(np.where(fold != k)[0], np.where(fold == k)[0]) for k in sorted(set(fold))]


def evaluate(name, X, y, holdout, splits):
    models = {"sklearn_hgb": lambda: HistGradientBoostingClassifier(),
              "xgboost": lambda: xgb.XGBClassifier(n_jobs=1)}
    for label, make in models.items():
        aucs = []
        for tr, te in splits:
            m = make().fit(X[tr], y[tr])
            aucs.append(roc_auc_score(y[te], m.predict_proba(X[te])[:, 1]))
        line = f"{name} {label}: 5-fold CV AUC {np.mean(aucs):.4f}"
        if holdout:
            cut = int(len(y) * 0.8)
            m = make().fit(X[:cut], y[:cut])
            line += f", chronological holdout AUC {roc_auc_score(y[cut:], m.predict_proba(X[cut:])[:, 1]):.4f}"
        print(line, flush=True)


def main():
    d = sys.argv[1]
    b = load(f"{d}/bank-additional-full.csv", ";")
    yb = np.array([v == "yes" for v in b["y"]], int)
    evaluate("bank", design(b, [c for c in b if c not in ("y", "duration")], {""}), yb, True, fold_splits(sys.argv[2]))
    x = load(f"{d}/xeducation-Leads.csv", ",")
    yx = np.array([int(v) for v in x["Converted"]])
    drop = {"Prospect ID", "Lead Number", "Converted", "Tags", "Lead Quality", "Lead Profile",
            "Asymmetrique Activity Index", "Asymmetrique Profile Index", "Asymmetrique Activity Score",
            "Asymmetrique Profile Score", "Last Activity", "Last Notable Activity"}
    evaluate("xeducation", design(x, [c for c in x if c not in drop], {"", "Select"}), yx, False, fold_splits(sys.argv[3]))


if __name__ == "__main__":
    main()
