"""Screenshots of `inspect view` on two small offline runs, for docs/inspect.md (assets/inspect-view-*.png).

1. `inspect eval nsllm/math --model nsllm/embedded -T per_type=2`: the real embedded model, 20 questions (~30 s).
2. `inspect eval nsllm/symbench --solver nsllm/codesteer` on one Number Multiply question, with scripted task and
   steering models (tests/inspect_ext/scripted_inspect.py): a text answer, then code that the sandbox runs.

Then `inspect view` serves the logs on loopback and headless Chromium takes the pictures. Not part of `make assets`:
it needs Chromium (Debian: `apt-get install chromium`) and Playwright (`pip install playwright`, in any Python; it
drives the system Chromium, it downloads no browser):

    .venv/bin/python assets/inspect_view.py --playwright-python /path/to/python-with-playwright
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

SNAP = """
import json, sys
from playwright.sync_api import sync_playwright
jobs = json.loads(sys.argv[1])
WIDTH = 1280
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=sys.argv[2], args=["--no-sandbox"])
    for url, out, clicks, height in jobs:
        page = browser.new_page(viewport={"width": WIDTH, "height": height})
        page.goto(url)
        page.wait_for_timeout(4000)
        for selector in clicks:
            page.locator(selector).first.click()
            page.wait_for_timeout(1500)
        page.screenshot(path=out)
        page.close()
    browser.close()
"""


def scripted_codesteer(logs: Path, work: Path) -> None:
    """The CodeSteer run with scripted models: steer picks text, the answer is wrong, steer asks for code, done."""
    from nsllm_cli.symbench.registry import get_task
    from nsllm_cli.symbench.splits import test_set

    task = get_task("number_multiply")
    [inst] = test_set(task, data_dir=None, limit=1, seed=0).instances
    expr = inst.data["input_prompt"].removeprefix("What is the result of ").rstrip("?")
    program = f"import math\n\nfactors = [int(t) for t in {expr!r}.split('*')]\nprint(f'<<<{{math.prod(factors)}}>>>')"
    (work / "task.json").write_text(json.dumps(["Multiplying step by step: <<<3800>>>", f"```python\n{program}\n```"]))
    (work / "steer.json").write_text(json.dumps(["<<<Text>>>", "<<<Code>>>", "<<<Return Answer>>>"]))
    steer = f"steer={{model: scripted/steer, model_args: {{answers: {work / 'steer.json'}}}}}"
    subprocess.run(
        [sys.executable, str(REPO / "tests/inspect_ext/scripted_inspect.py"), "eval", "nsllm/symbench",
         "--model", "scripted/task", "-M", f"answers={work / 'task.json'}", "--solver", "nsllm/codesteer",
         "-S", "allow_code_execution=true", "-S", "self_check=false", "--model-role", steer,
         "-T", "tasks=number_multiply", "-T", "limit=1", "--log-dir", str(logs), "--display", "none"],
        check=True,
    )  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shrink(path: Path) -> None:
    """A 256-colour PNG: the viewer is flat colours and text, and the docs keep pictures under 200 KB."""
    from PIL import Image

    Image.open(path).convert("RGB").quantize(colors=256).save(path, optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--playwright-python", default=sys.executable, help="A Python with playwright installed.")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        logs = work / "logs"
        subprocess.run(
            [str(BIN / "inspect"), "eval", "nsllm/math", "--model", "nsllm/embedded", "-T", "per_type=2",
             "--log-dir", str(logs), "--display", "none"],
            check=True,
        )  # fmt: skip
        scripted_codesteer(logs, work)
        math_log = next(p.name for p in logs.glob("*_math_*.eval"))
        steer_log = next(p.name for p in logs.glob("*_symbench_*.eval"))
        port = free_port()
        view = subprocess.Popen(
            [str(BIN / "inspect"), "view", "--log-dir", str(logs), "--host", "127.0.0.1", "--port", str(port)]
        )
        try:
            time.sleep(6)
            base = f"http://127.0.0.1:{port}/#/tasks"
            math_png, steer_png = REPO / "assets/inspect-view-math.png", REPO / "assets/inspect-view-codesteer.png"
            jobs = [
                [f"{base}/{math_log}", str(math_png), [], 800],
                [  # the transcript with every model call folded, the rounds' events open between them
                    f"{base}/{steer_log}/samples/sample/{get_sample_id()}/1/",
                    str(steer_png),
                    ["button[title='Collapse']", "text=SOLVER: NSLLM/CODESTEER"],
                    1240,
                ],
            ]
            subprocess.run([args.playwright_python, "-c", SNAP, json.dumps(jobs), args.chromium], check=True)
        finally:
            view.terminate()
            view.wait()
    for png in (math_png, steer_png):
        shrink(png)
        print(f"{png.relative_to(REPO)}: {png.stat().st_size} bytes")


def get_sample_id() -> str:
    """The URL-escaped id of the CodeSteer run's one sample (`number_multiply/<instance id>`)."""
    from urllib.parse import quote

    from nsllm_cli.symbench.registry import get_task
    from nsllm_cli.symbench.splits import test_set

    [inst] = test_set(get_task("number_multiply"), data_dir=None, limit=1, seed=0).instances
    return quote(f"number_multiply/{inst.id}", safe="")


if __name__ == "__main__":
    main()
