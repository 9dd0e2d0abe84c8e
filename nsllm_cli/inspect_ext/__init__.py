"""nsllm inside Inspect AI (the `inspect` extra; docs/inspect.md): SymBench and the math bench as tasks, CodeSteer
and its baselines as solvers, nsllm's local and neurosymbolic models as the `nsllm/` model provider.

Why a package of its own: it is a front end, like `cli/`, that sits at the top of the layers. It imports the
engines (`symbench`, `symbench_run`, `steer`, `ns`, `providers`, `sandbox`) and Inspect AI; no engine imports it
(an import-linter contract says so), and nothing outside it imports `inspect_ai`, so nsllm works without the extra.

- `registry`: the entry point Inspect loads (`[project.entry-points.inspect_ai]`); imports the modules below;
- `namespace`: puts each registered object in the `nsllm/` namespace;
- `symbench_task`, `math_task`: the tasks and their scorers;
- `solvers`: `nsllm/codesteer`, `nsllm/text_only`, `nsllm/code_only`, `nsllm/code_text_choice`, `nsllm/only_question`;
- `bridge`: an Inspect model seen as an nsllm provider, and the thread the synchronous engines run in;
- `model_api`: the `nsllm/<model>` provider (`embedded`, `tiny`, a folder, a hub id, `ns:<run>`).
"""
