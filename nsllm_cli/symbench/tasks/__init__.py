"""One module per SymBench task; importing this package registers them all (see `nsllm_cli.symbench.registry`)."""
