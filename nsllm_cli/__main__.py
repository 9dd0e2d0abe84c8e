"""`python -m nsllm_cli`, the twin of the `nsllm` console script."""

from nsllm_cli.cli import main

if __name__ == "__main__":
    main()
