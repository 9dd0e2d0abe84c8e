"""The paper's recipe (arXiv 2502.01657): one injected position at one layer, last-token encoders/decoders.

`gather` (last prompt token's residual stream) -> `train` (per-layer `encdec` to HRR) -> `finetune` (the decoder
inside the frozen model, `intervention`; or the `adapter`/`lora` baselines through `methods`) -> `store`.
"""
