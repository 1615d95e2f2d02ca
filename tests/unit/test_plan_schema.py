"""The plan schema the planner is given names the available tools, so none can be invented."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from nodes.plan_parsing import plan_schema
from nodes.schemas import Plan


def test_a_step_tool_is_one_of_the_names_or_none() -> None:
    schema = plan_schema(["run_python", "calculate"])
    step = schema.model_json_schema()["$defs"]["PlanStep"]["properties"]["tool"]
    assert {"enum": ["calculate", "run_python"], "type": "string"} in step["anyOf"]
    plan = schema.model_validate({"steps": ["think", {"description": "x", "tool": "calculate"}]})
    assert isinstance(plan, Plan)
    assert [s.tool for s in plan.steps] == [None, "calculate"]
    with pytest.raises(ValidationError):
        schema.model_validate({"steps": [{"description": "x", "tool": "17 * 23 = 391"}]})


def test_no_tools_keeps_the_plain_plan_and_the_name_stays_plan() -> None:
    assert plan_schema([]) is Plan
    assert plan_schema(["calculate"]).__name__ == "Plan"
    assert plan_schema(["calculate", "calculate"]) is plan_schema(["calculate"])
