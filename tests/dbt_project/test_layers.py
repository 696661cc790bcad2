"""dbt's layers hold (dbt's structure guide): only staging reads ``source()``; intermediate
models read staging and intermediate; marts read intermediate and marts; certified tables read
marts (and seeds). A model that skips or inverts a layer fails here, naming it."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models"
SEEDS = {p.stem for p in (ROOT / "dbt_project" / "seeds").glob("*.csv")}

#: what each layer may ref
ALLOWED = {
    "staging": {"staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"intermediate", "marts"},
    "certified": {"marts"},
    "quarantine": {"staging", "intermediate"},
    "semantic": {"certified", "marts"},
}


def _layer_of(path: Path) -> str:
    return path.relative_to(MODELS).parts[0]


def _models() -> dict[str, Path]:
    return {p.stem: p for p in MODELS.rglob("*.sql")}


def test_every_model_reads_only_the_layers_below_it():
    models = _models()
    wrong = []
    for name, path in models.items():
        layer = _layer_of(path)
        text = path.read_text()
        if layer != "staging" and re.search(r"\bsource\(", text):
            wrong.append(f"{name} ({layer}) reads source(): only staging may")
        for ref in re.findall(r"ref\(\s*['\"](\w+)['\"]\s*\)", text):
            if ref in SEEDS:
                continue
            target = _layer_of(models[ref])
            if target not in ALLOWED[layer]:
                wrong.append(f"{name} ({layer}) reads {ref} ({target})")
    assert not wrong, "\n".join(sorted(wrong))
