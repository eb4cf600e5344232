"""Reading and writing scenario files in any supported format, chosen by the path."""

from __future__ import annotations

from pathlib import Path

from servanda.errors import ScenarioError
from servanda.model import Scenario

FORMATS = ("yaml", "genius", "geniusweb")


def detect_format(path: Path) -> str:
    """``yaml`` for a .yaml/.yml file, ``genius`` for a folder of GENIUS XML files,
    ``geniusweb`` for a folder of GeniusWeb JSON profiles (or a single one)."""
    if path.is_dir():
        if any(path.glob("*.xml")):
            return "genius"
        if any(path.glob("*.json")):
            return "geniusweb"
        raise ScenarioError("the folder holds no GENIUS (.xml) or GeniusWeb (.json) files", source=str(path))
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "geniusweb"
    if suffix == ".xml":
        raise ScenarioError(
            "a GENIUS scenario is a domain file plus profiles: give the folder that holds them",
            source=str(path),
        )
    raise ScenarioError(
        "unknown scenario format; expected a .yaml file, a GENIUS folder or GeniusWeb profiles",
        source=str(path),
    )


def load_scenario(path: str | Path, format: str | None = None) -> Scenario:
    """Read a scenario from a native YAML file, a GENIUS folder or GeniusWeb profiles."""
    path = Path(path)
    if not path.exists():
        raise ScenarioError("no such file or folder", source=str(path))
    kind = format or detect_format(path)
    if kind == "yaml":
        from servanda.formats.native import load_yaml

        return load_yaml(path)
    if kind == "genius":
        from servanda.formats.genius import load_genius_folder

        return load_genius_folder(path)
    if kind == "geniusweb":
        from servanda.formats.geniusweb import load_geniusweb_profiles

        profiles = sorted(path.glob("*.json")) if path.is_dir() else [path]
        return load_geniusweb_profiles(profiles)
    raise ScenarioError(f"unknown format '{kind}'; expected one of {', '.join(FORMATS)}")


def save_scenario(scenario: Scenario, path: str | Path, format: str | None = None) -> list[Path]:
    """Write a scenario: native YAML to a .yaml file, GENIUS XML into a folder."""
    from servanda.formats.genius import dump_genius
    from servanda.formats.native import dump_yaml

    path = Path(path)
    kind = format or ("yaml" if path.suffix.lower() in (".yaml", ".yml") else "genius")
    if kind not in ("yaml", "genius"):
        raise ScenarioError(f"cannot write format '{kind}'; expected yaml or genius")
    try:
        if kind == "yaml":
            path.parent.mkdir(parents=True, exist_ok=True)
            dump_yaml(scenario, path)
            return [path]
        path.mkdir(parents=True, exist_ok=True)
        return dump_genius(scenario, path)
    except OSError as exc:
        raise ScenarioError(f"cannot write ({exc.strerror or exc})", source=str(path)) from None
