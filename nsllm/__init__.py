"""The `nsllm/` namespace of nsllm's Inspect AI extension (`inspect eval nsllm/symbench`); it holds no code.

Inspect AI names an extension's tasks, solvers and scorers `<package>/<name>`, where <package> is the top-level
import package of the module that defines them, matched to an installed distribution. nsllm's code lives in
`nsllm_cli`, a name that maps to no distribution: an editable install would register bare names (`symbench`) and a
wheel `nsllm_cli/symbench`. So `nsllm_cli.inspect_ext.namespace` declares each object a member of this package,
which ships in the same distribution, and every install names them `nsllm/...`. The code is in
`nsllm_cli/inspect_ext/` (docs/inspect.md).
"""
