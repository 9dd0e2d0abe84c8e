"""The steps recipe (the default): read the question's tokens, write the result token by token.

`gather` (every question token's state at the read layers, `spans` labelling the digits) -> `train` (the
`reader`: digits and roles per token, the operation from pooled states by `type_read`, the `open_set` test of the
gate) -> `finetune` (the `writer`, one HRR step code per answer token, trained on the reader's own reads) ->
`store`. `model.StepwiseNS` is the NS model that `bench`, `chat` and `serve` attach; `read_data` builds the
reader's and writer's training prompts.
"""
