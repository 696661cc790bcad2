"""dbt_bench sums the models' seconds by the layer (schema) each writes, from run results."""

from benchmarks.dbt_bench import models_by_layer


def _result(unique_id: str, relation: str | None, seconds: float) -> dict:
    return {"unique_id": unique_id, "relation_name": relation, "execution_time": seconds}


def test_models_are_summed_by_the_schema_they_write_and_tests_are_left_out():
    results = [
        _result("model.p.funnel_daily", '"warehouse"."certified"."funnel_daily"', 0.2),
        _result("model.p.spend_daily", '"warehouse"."certified"."spend_daily"', 0.5),
        _result("model.p.stg_a", '"warehouse"."staging"."stg_a"', 1.0),
        # a test has a relation too (when it stores failures): not a model's time
        _result("test.p.unique_x", '"warehouse"."certified"."unique_x"', 9.0),
        # an ephemeral model writes nothing
        _result("model.p.eph", None, 4.0),
    ]
    assert models_by_layer(results) == {"certified": 0.7, "staging": 1.0}
