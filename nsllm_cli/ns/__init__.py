"""The neurosymbolic pipeline: problems, VSA, gather, train, finetune, bench."""
