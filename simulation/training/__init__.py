"""Training mode: a library of asymmetric faces with known causes, and plans scored against
the model's own plan (issue 15). No Streamlit here: the CLI and the Training page share it."""

from .build import Case, build_case
from .scenario import (
    SCENARIO_SCHEMA,
    Scenario,
    builtin_ids,
    builtin_scenario,
    builtin_scenarios,
    load_scenario,
    mirror_scenario,
    parse_scenario,
    scenario_to_json,
)

__all__ = [
    "SCENARIO_SCHEMA",
    "Case",
    "Scenario",
    "build_case",
    "builtin_ids",
    "builtin_scenario",
    "builtin_scenarios",
    "load_scenario",
    "mirror_scenario",
    "parse_scenario",
    "scenario_to_json",
]
