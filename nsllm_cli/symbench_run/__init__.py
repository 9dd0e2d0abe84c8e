"""Running SymBench: methods answer its questions, the runner records and scores samples, results aggregate (engine).

Why a package of its own: SymBench has two layers that point the same way. The task layer, `nsllm_cli.symbench`
(tasks, registry, splits, errata, gold checks, scoring), defines the benchmark and imports nothing of the steering
loop, so `nsllm_cli.steer` can build training data from it. This layer *runs* the benchmark with a method
(a baseline or the CodeSteer loop of `nsllm_cli.steer`), so it sits above both: symbench_run → steer → symbench.

- `methods`: the paper's baselines and CodeSteer, each returning a `SteerResult`;
- `runner`: jobs on a thread pool, one `samples.jsonl` record each, resumable; the resume manifest check;
- `results`: per-task and per-method aggregates and the success chart;
- `paper`: the paper's Table 1 (`paper_table1.csv`) and its normalised score.
"""
