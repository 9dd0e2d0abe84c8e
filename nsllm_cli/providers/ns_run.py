"""A finished NS finetune run as a model: which local model it was trained on, and whether a loaded one is it.

`ns:<run>` (and `--ns-run RUN`) name a run folder, not a model, so the model comes from the run
itself: its `config.yaml` records the `--model` it was made with, and the manifest of `artifacts/ns`
holds that model's fingerprint (`ns.activations.model_fingerprint`). Everything here reads JSON and
YAML only, so a wrong folder or an obviously wrong `--model` fails before any weights load; the
fingerprint comparison (`check_same_model`) runs once the model is in memory.

Example:
    >>> run = read_ns_run(Path("runs/demo/finetune"))  # doctest: +SKIP
    >>> run.model_spec, run.label  # doctest: +SKIP
    ('embedded', 'embedded (smollm2-135m-instruct)')
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nsllm_cli.errors import ArtifactError

__all__ = ["NSRun", "check_given_spec", "check_same_model", "read_ns_run"]

ALIASES = ("embedded", "tiny")


@dataclass(frozen=True)
class NSRun:
    """A finetune run folder whose `artifacts/ns` is complete, and the model it was trained on."""

    path: Path
    manifest: dict[str, Any]
    model_spec: str
    """What to load for it: 'embedded', 'tiny', a model folder or a hub id (see `nsllm_cli.models.resolve`)."""
    recorded: str | None
    """The `--model` its config.yaml records, as written there (None without a config.yaml)."""

    @property
    def fingerprint(self) -> dict[str, Any]:
        """The trained-on model's fingerprint from the manifest ({} when the run recorded none)."""
        found = self.manifest.get("meta", {}).get("model")
        return found if isinstance(found, dict) else {}

    @property
    def label(self) -> str:
        """How an error names the trained-on model: its spec and, when it says more, its folder's name."""
        name = Path(str(self.fingerprint.get("name_or_path", ""))).name
        spec = self.recorded or self.model_spec
        return f"{spec} ({name})" if name and name != Path(spec).name else spec


def read_ns_run(run: Path) -> NSRun:
    """The run folder `run`, checked to be a finished NS finetune run, with the model it was trained on.

    The model is the config.yaml's `settings.model` when that still resolves here (an alias, an
    existing folder, a hub id), else the fingerprint's `name_or_path` when that folder exists (runs
    written without a config.yaml, as in the tests).

    Raises:
        ArtifactError: no such folder, no complete `artifacts/ns`, or no way to tell which model it needs.
    """
    if not run.is_dir():
        raise ArtifactError(f"{run} is not a finished finetune run (no such folder)")
    manifest_path = run / "artifacts" / "ns" / "manifest.json"
    if not manifest_path.is_file():
        raise ArtifactError(f"{run} is not a finished finetune run (no artifacts/ns)")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"cannot read {manifest_path}: {exc}") from exc
    if not isinstance(manifest, dict):
        raise ArtifactError(f"{manifest_path} is not a manifest (expected a JSON object)")
    if not isinstance(manifest.get("meta", {}), dict):
        raise ArtifactError(f"{manifest_path}: its meta is not a JSON object")
    recorded = _recorded_model(run)
    fingerprint = manifest.get("meta", {}).get("model") or {}
    folder = str(fingerprint.get("name_or_path") or "") if isinstance(fingerprint, dict) else ""
    for candidate in (recorded, folder):
        if candidate and _usable(candidate):
            return NSRun(run, manifest, candidate, recorded)
    if recorded and _is_hub_id(recorded):
        return NSRun(run, manifest, recorded, recorded)
    what = recorded or folder or "it is not recorded"
    raise ArtifactError(f"{run}: cannot find the model it was trained on ({what}) on this machine")


def check_given_spec(run: NSRun, given: str) -> None:
    """Refuse, before loading, a `--model` alias that differs from the run's alias (embedded vs tiny).

    Only alias against alias: a folder may hold the same weights as an alias, so anything else waits
    for `check_same_model`.

    Raises:
        ArtifactError: naming the run, the model it was trained on and `given`.
    """
    trained = run.recorded or run.model_spec
    if given in ALIASES and trained in ALIASES and given != trained:
        raise ArtifactError(f"{run.path} was trained on {run.label}, not {given}")


def check_same_model(run: NSRun, model: Any, tok: Any, given: str) -> None:
    """Refuse a loaded model or tokenizer other than the one the run was trained on.

    Compares the fingerprint's config checksum (architecture and vocabulary size), then the tokenizer
    through what the manifest recorded of it: the chat template's sha256, and `tokenizer_len`
    (`len(tok)`, added tokens included) when a manifest has it.

    Raises:
        ArtifactError: one line naming the run, the model it was trained on and `given`.
    """
    from nsllm_cli.ns.activations import model_fingerprint

    trained = run.fingerprint
    here = model_fingerprint(model, tok)
    if trained.get("config_sha256") not in (None, here["config_sha256"]):
        same = " (same name, another config)" if (run.recorded or run.model_spec) == given else ""
        raise ArtifactError(f"{run.path} was trained on {run.label}, not {given}{same}")
    current = {**here, "tokenizer_len": len(tok)}
    differs = [
        what
        for key, what in (("chat_template_sha256", "chat template"), ("tokenizer_len", "vocabulary size"))
        if trained.get(key) is not None and trained[key] != current[key]
    ]
    if differs:
        raise ArtifactError(f"{run.path} was trained with another tokenizer than {given}'s ({' and '.join(differs)})")


def _recorded_model(run: Path) -> str | None:
    """`settings.model` of the run's config.yaml, or None (no file, or no model in it)."""
    path = run / "config.yaml"
    if not path.is_file():
        return None
    import yaml

    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ArtifactError(f"cannot read {path}: {exc}") from exc
    settings = config.get("settings") if isinstance(config, dict) else None
    model = settings.get("model") if isinstance(settings, dict) else None
    return str(model) if model else None


def _usable(spec: str) -> bool:
    """An alias, or a model folder that exists here."""
    return spec in ALIASES or (Path(spec).expanduser() / "config.json").is_file()


def _is_hub_id(spec: str) -> bool:
    from nsllm_cli.models.resolve import HUB_ID

    return bool(HUB_ID.match(spec)) and not spec.startswith((".", "/", "~"))
