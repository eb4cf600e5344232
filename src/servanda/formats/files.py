"""Reading and writing scenario files in any supported format, chosen by the path."""

from __future__ import annotations

from pathlib import Path

from servanda.errors import ScenarioError, UnsupportedError
from servanda.model import Scenario
from servanda.model.uncertainty import UncertainScenario

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


def load_uncertain_scenario(path: str | Path, format: str | None = None) -> UncertainScenario:
    """A scenario with its uncertainty: from a native YAML file's ``uncertainty`` blocks;
    other formats carry none (every preference exact)."""
    from servanda.formats.native import load_uncertain_yaml

    path = Path(path)
    if not path.exists():
        raise ScenarioError("no such file or folder", source=str(path))
    if (format or detect_format(path)) == "yaml":
        return load_uncertain_yaml(path)
    return UncertainScenario.exact(load_scenario(path, format))


def save_scenario(
    scenario: Scenario | UncertainScenario,
    path: str | Path,
    format: str | None = None,
    *,
    overwrite: bool = False,
) -> list[Path]:
    """Write a scenario: native YAML to a .yaml/.yml file (with the parties' uncertainty,
    if given an :class:`UncertainScenario`), GENIUS XML into a folder.

    Without ``overwrite``, an existing file or a non-empty folder is left alone and an
    error says so: a converted file never silently replaces a hand-written one."""
    from servanda.formats.genius import dump_genius
    from servanda.formats.native import dump_yaml

    path = Path(path)
    is_yaml_name = path.suffix.lower() in (".yaml", ".yml")
    kind = format or ("yaml" if is_yaml_name else "genius" if not path.suffix or path.is_dir() else None)
    if kind not in ("yaml", "genius"):
        raise ScenarioError(
            "cannot tell the output format; expected a .yaml file, a folder for GENIUS XML, "
            "or --to yaml|genius",
            source=str(path),
        )
    occupied = path.is_file() or (path.is_dir() and any(path.iterdir()))
    if occupied and not overwrite:
        raise ScenarioError("already exists (overwrite it with --force, or overwrite=True)", source=str(path))
    try:
        if kind == "yaml":
            path.parent.mkdir(parents=True, exist_ok=True)
            dump_yaml(scenario, path)
            return [path]
        exact = scenario.scenario if isinstance(scenario, UncertainScenario) else scenario
        return dump_genius(exact, path)  # checks everything before creating the folder
    except UnsupportedError as exc:
        raise UnsupportedError(f"cannot write {path} as GENIUS XML: {exc}") from None
    except OSError as exc:
        raise ScenarioError(f"cannot write ({exc.strerror or exc})", source=str(path)) from None
