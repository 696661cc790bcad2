"""dbt's layers hold (dbt's structure guide): only staging reads ``source()``; intermediate
models read staging and intermediate; marts read intermediate and marts; certified tables read
marts (and seeds). A model that skips or inverts a layer fails here, naming it.

The dependencies are dbt's own, from the parsed manifest: a ``ref()`` or ``source()`` a model
reaches through a macro counts as the model's (``make setup`` parses the project; the first test
fails when the manifest is older than the model files)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "dbt_project" / "models"
MANIFEST = ROOT / "dbt_project" / "target" / "manifest.json"

#: what each layer may ref (seeds are settings: any layer may read them)
ALLOWED = {
    "staging": {"staging"},
    "intermediate": {"staging", "intermediate"},
    "marts": {"intermediate", "marts"},
    "certified": {"marts"},
    "quarantine": {"staging", "intermediate"},
    "semantic": {"certified"},
}


def _models() -> dict[str, dict]:
    """Every model of the manifest by unique id (its layer is the first folder under models/)."""
    manifest = json.loads(MANIFEST.read_text())
    return {
        uid: node for uid, node in manifest["nodes"].items() if node["resource_type"] == "model"
    }


def _layer(node: dict) -> str:
    return node["fqn"][1]


def test_the_manifest_knows_every_model_file():
    on_disk = {p.stem for p in MODELS.rglob("*.sql")}
    parsed = {node["name"] for node in _models().values()}
    # a source off by default (a second CRM) has its models parsed as disabled
    disabled = json.loads(MANIFEST.read_text()).get("disabled") or {}
    parsed |= {
        n["name"] for nodes in disabled.values() for n in nodes if n["resource_type"] == "model"
    }
    assert on_disk == parsed, "the manifest is stale: run `make setup` (dbt parse)"


def test_every_model_reads_only_the_layers_below_it():
    models = _models()
    wrong = []
    for node in models.values():
        layer, name = _layer(node), node["name"]
        for dep in node["depends_on"]["nodes"]:
            kind = dep.split(".", 1)[0]
            if kind == "source" and layer != "staging":
                wrong.append(f"{name} ({layer}) reads {dep}: only staging may read a source")
            elif kind == "model" and (target := _layer(models[dep])) not in ALLOWED[layer]:
                wrong.append(f"{name} ({layer}) reads {models[dep]['name']} ({target})")
    assert not wrong, "\n".join(sorted(wrong))


def test_every_semantic_model_reads_a_certified_table():
    """MetricFlow answers from the published file, which holds only the certified tables
    (orchestration/publication.py): a semantic model over a mart or a seed could not be read
    there, and would expose what no check approved."""
    manifest = json.loads(MANIFEST.read_text())
    semantic_models = manifest["semantic_models"].values()
    assert semantic_models, "no semantic models in the manifest"
    wrong = []
    for semantic_model in semantic_models:
        reads = semantic_model["depends_on"]["nodes"]
        node = manifest["nodes"].get(reads[0]) if len(reads) == 1 else None
        if node is None or node["resource_type"] != "model" or _layer(node) != "certified":
            wrong.append(f"{semantic_model['name']} reads {', '.join(reads)}")
    assert not wrong, "semantic models over tables that are not published:\n" + "\n".join(wrong)
