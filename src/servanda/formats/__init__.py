"""File formats: reading and writing scenarios (YAML, GENIUS XML, GeniusWeb JSON)."""

from servanda.formats.document import ScenarioDoc
from servanda.formats.files import FORMATS, detect_format, load_scenario, save_scenario
from servanda.formats.native import dump_yaml, load_yaml, loads_yaml, to_document


def scenario_json_schema() -> dict:
    """JSON Schema of the native scenario file."""
    return ScenarioDoc.model_json_schema()


__all__ = [
    "FORMATS",
    "ScenarioDoc",
    "detect_format",
    "dump_yaml",
    "load_scenario",
    "load_yaml",
    "loads_yaml",
    "save_scenario",
    "scenario_json_schema",
    "to_document",
]
