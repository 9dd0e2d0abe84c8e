"""CodeSteer: the steering loop, code extraction, the sandbox and the checkers (engine; no Typer/Textual)."""
