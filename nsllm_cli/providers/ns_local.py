"""A local model with its neurosymbolic hook switched on for some generations and off for others.

`nsllm chat --ns-run RUN` compares the plain model with the neurosymbolic one (`ns_pair`); the spec
`ns:<run>` is the neurosymbolic one alone, wherever a model goes (`ns_provider`). Both are the same
weights, loaded once (`providers.local` shares one copy per process): `NSLocalProvider` is a
`LocalProvider` whose every generation runs with the run's intervention attached through
`ns.injection.attach`, and a plain `LocalProvider` of the same spec generates without it.

The hook lives on the shared model only while one `generate` call runs, and that call always runs
under the model's lock (the lock every `LocalProvider` of that model takes around a generation), so
a plain generation can never see it, even when both are asked at the same time from two threads.
`HookedModel.generate` refuses to run when the lock is not held.

Example:
    >>> plain, ns = ns_pair("local:embedded", Path("runs/finetune-..."))  # doctest: +SKIP
    >>> "".join(plain.stream(messages)), "".join(ns.stream(messages))  # doctest: +SKIP
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from nsllm_cli.errors import ConfigError
from nsllm_cli.providers.cache import ResponseCache
from nsllm_cli.providers.local import LoadedModel, LocalProvider
from nsllm_cli.providers.ns_run import NSRun, check_given_spec, check_same_model, read_ns_run

__all__ = ["HookedModel", "NSLocalProvider", "last_read", "load_ns_run", "ns_pair", "ns_provider"]


def last_read(provider: Any) -> str | None:
    """What the NS hook of `provider` read at its last generation, in a line ("read gcd(84, 120), wrote 12" or
    "gate shut: unfamiliar question"); None for a provider without one."""
    last = getattr(getattr(provider, "ns", None), "last", None)
    types = getattr(getattr(provider, "ns", None), "types", None)
    if last is None or not types:
        return None
    item = last.item(0, types) if hasattr(last, "item") else None
    if item is None:
        return None
    if item["gate"]:
        from nsllm_cli.ns.bench_report import operation_text

        return f"read {operation_text(item)} p={item['score']:.2f}, wrote {item['result']}"
    return f"gate shut: {item['reason']} (best guess {item['type']}, p={item['score']:.2f}); the plain model answered"


class HookedModel:
    """A loaded model seen through a `generate` that runs with an intervention attached; the rest is the model's."""

    def __init__(self, model: Any, module: Any, lock: threading.Lock) -> None:
        """Args:
        model: the shared causal LM.
        module: an `NSIntervention` (or anything with `layer` and `hook_fn(hidden, ctx)`, see `attach`).
        lock: the lock that serialises generations on `model`; it must be held around `generate`.
        """
        self.model = model
        self.module = module
        self.lock = lock
        self.generations = 0
        """How many generations ran with the hook attached."""

    def generate(self, *args: Any, **kwargs: Any) -> Any:
        """`model.generate` with the intervention at the last prompt token (on the prefill, or as the module says).

        Raises:
            RuntimeError: when called without the model's lock held (a plain generation could see the hook).
        """
        from nsllm_cli.ns.injection import attach

        if not self.lock.locked():
            raise RuntimeError("the NS hook may only be attached while the model's generation lock is held")
        input_ids = kwargs.get("input_ids", args[0] if args else None)
        with attach(self.model, self.module) as handle:
            if input_ids is not None:
                handle.position = int(input_ids.shape[-1]) - 1
            self.generations += 1
            return self.model.generate(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.model, name)


class NSLocalProvider(LocalProvider):
    """A `LocalProvider` whose generations run with a neurosymbolic intervention on the shared model."""

    def __init__(
        self,
        name: str,
        model: str,
        *,
        ns: Any,
        model_cache: Path | None = None,
        device: str = "auto",
        dtype: str = "auto",
        cache: ResponseCache | None = None,
    ) -> None:
        """Args:
        name: the provider's name (shown in the chat and in transcripts).
        model: the local model spec ('embedded', 'tiny' or a folder), as for `LocalProvider`.
        ns: the intervention (see `HookedModel`); moved to the model's device on first use.
        model_cache, device, dtype, cache: as for `LocalProvider`.
        """
        super().__init__(name, model, model_cache=model_cache, device=device, dtype=dtype, cache=cache)
        self.ns = ns
        self._hooked: LoadedModel | None = None

    @property
    def loaded(self) -> LoadedModel:
        """The shared model and its lock, with `model` wrapped so that `generate` runs with the hook."""
        if self._hooked is None:
            base = super().loaded
            mover = getattr(self.ns, "to", None)
            if callable(mover):
                mover(base.model.device)
            hooked = HookedModel(base.model, self.ns, base.lock)
            self._hooked = LoadedModel(hooked, base.tokenizer, base.source, base.device, base.dtype, lock=base.lock)
        return self._hooked

    @property
    def generations(self) -> int:
        """How many generations of this provider ran with the hook attached."""
        return self._hooked.model.generations if self._hooked is not None else 0


def load_ns_run(run: Path, model: Any, tokenizer: Any, *, given: str | None = None) -> Any:
    """The NS intervention saved in a finetune run's `artifacts/ns`, refused when it was trained on another model.

    Args:
        run: a finished `nsllm finetune` run folder.
        model, tokenizer: the loaded model the intervention will run in.
        given: how the error names that model (the user's --model; default: its folder's name).

    Raises:
        ArtifactError: the run is not a finished finetune run, was trained on another model or tokenizer,
            or its artefacts do not load (atoms with another checksum, a changed tensor file).
    """
    return _load_checked(read_ns_run(run), model, tokenizer, given)


def ns_provider(
    run: Path,
    *,
    name: str | None = None,
    model_cache: Path | None = None,
    device: str = "auto",
    dtype: str = "auto",
) -> NSLocalProvider:
    """The neurosymbolic model of a finetune run: the model it was trained on, with the run's hook (`ns:<run>`).

    The run folder is checked before the model loads; the model is the process-wide shared copy.

    Args:
        run: a finished `nsllm finetune` run folder.
        name: the provider's name (default `ns:<run>`).
        model_cache, device, dtype: as for `LocalProvider`.

    Raises:
        ArtifactError: see `load_ns_run` and `ns_run.read_ns_run`.
    """
    info = read_ns_run(run)
    spec = info.model_spec
    loaded = LocalProvider(f"local:{spec}", spec, model_cache=model_cache, device=device, dtype=dtype).loaded
    ns = _load_checked(info, loaded.model, loaded.tokenizer, spec)
    label = name or f"ns:{run}"
    return NSLocalProvider(label, spec, ns=ns, model_cache=model_cache, device=device, dtype=dtype)


def ns_pair(
    spec: str,
    run: Path,
    *,
    model_cache: Path | None = None,
    device: str = "auto",
    dtype: str = "auto",
) -> tuple[LocalProvider, NSLocalProvider]:
    """The plain and the neurosymbolic provider of one local model (loaded here, once, for both).

    Args:
        spec: a local provider spec: `local:embedded`, `local:tiny`, `local:<folder>` (or a bare folder).
        run: a finished `nsllm finetune` run folder (its `artifacts/ns` holds the intervention).
        model_cache, device, dtype: as for `LocalProvider`.

    Returns:
        (plain, neurosymbolic): the second is named after the first with `+ns`.

    Raises:
        ConfigError: `spec` is not a local model (the hook needs the weights in this process).
        ArtifactError: see `load_ns_run`; a run of another alias (embedded vs tiny) before loading anything.
    """
    from nsllm_cli.providers.registry import local_folder_spec, split_spec

    prefix, model = split_spec(local_folder_spec(spec.strip()))
    if prefix != "local" or not model:
        raise ConfigError(f"--ns-run needs a local model (local:embedded, local:tiny or local:<folder>), not {spec!r}")
    info = read_ns_run(run)  # before loading the model: a wrong folder fails fast
    check_given_spec(info, model)
    name = f"local:{model}"
    plain = LocalProvider(name, model, model_cache=model_cache, device=device, dtype=dtype)
    loaded = plain.loaded
    ns = _load_checked(info, loaded.model, loaded.tokenizer, model)
    hooked = NSLocalProvider(f"{name}+ns", model, ns=ns, model_cache=model_cache, device=device, dtype=dtype)
    return plain, hooked


def _load_checked(info: NSRun, model: Any, tokenizer: Any, given: str | None) -> Any:
    """The run's intervention, once the loaded model and tokenizer are known to be the ones it was trained on."""
    from nsllm_cli.ns.store import load_ns

    label = given or Path(str(getattr(model.config, "_name_or_path", "") or "the loaded model")).name
    check_same_model(info, model, tokenizer, label)
    ns, _ = load_ns(info.path / "artifacts" / "ns")
    return ns
