"""The neurosymbolic pipeline, laid out by recipe.

- `paper/`: the paper's recipe. `gather` records the last prompt token's state, `train` fits per-layer
  encoders/decoders to HRR codes, `finetune` trains the decoder inside the model (`intervention`), with the
  bottleneck adapter and LoRA as the other `--method`s (`methods`), saved by `store`.
- `steps/`: the default recipe for digit-by-digit tokenizers. `gather` records every question token's state at
  the read layers (`spans` says which token is which digit), `train` fits the `reader` (digits and roles,
  `type_read` for the operation, `open_set` for the gate), `finetune` trains the `writer` that spells the result
  token by token; `model` is the NS model they make, saved by `store`.
- Shared by both: the problems and their operations (`problems`, `splits`, `dataset`, `sampling`), the wordings
  (`wordings/`, `heldout_wordings`), `vsa`, `prompts`, the prefill (`prefill`), the teacher-forced batches and
  the training loop (`batches`, `trainer`), attaching a model (`injection`), the baselines (`adapter`, `lora`)
  and `bench` (`bench_questions`, `bench_report`).
- The switch between recipes: `store.load_ns` loads either's NS model and `train_run` reads either's train run.

The recipes never import each other, and the shared parts import neither (import-linter contracts in
pyproject.toml).
"""
