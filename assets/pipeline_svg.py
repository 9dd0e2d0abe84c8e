"""The pipeline diagram of the README (`assets/pipeline.svg`), written as plain SVG: no plotting library, no fonts.

Two lanes: the neurosymbolic pipeline (gather → train → finetune → bench math, and the NS model it makes served
to chat/serve/steer) and CodeSteer's loop (the steerer guides the task model round by round, code runs in the
sandbox and is checked, until <<<Return Answer>>>).

Example:
    >>> svg = pipeline_svg()
    >>> svg.startswith("<svg") and "finetune" in svg
    True
"""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT = 900, 400
INK, MUTED, NS, STEER = "#24292f", "#57606a", "#0969da", "#8250df"
STEER_LATER = ["later: new guidance or", "<<<Return Answer>>>"]
FONT = "font-family='Segoe UI, Helvetica, Arial, sans-serif'"


def _box(x: int, y: int, w: int, h: int, title: str, lines: list[str], color: str) -> str:
    """A rounded box: a bold title and grey lines of detail, centred."""
    parts = [
        f"<rect x='{x}' y='{y}' width='{w}' height='{h}' rx='8' fill='white' stroke='{color}' stroke-width='2'/>",
        f"<text x='{x + w // 2}' y='{y + 22}' text-anchor='middle' font-size='15' font-weight='bold' "
        f"fill='{color}'>{escape(title)}</text>",
    ]
    for i, line in enumerate(lines):
        parts.append(
            f"<text x='{x + w // 2}' y='{y + 42 + 16 * i}' text-anchor='middle' font-size='12' "
            f"fill='{MUTED}'>{escape(line)}</text>"
        )
    return "\n".join(parts)


def _arrow(x1: int, y1: int, x2: int, y2: int, color: str, label: str = "") -> str:
    """A straight arrow from (x1, y1) to (x2, y2), with an optional label above its middle."""
    out = f"<line x1='{x1}' y1='{y1}' x2='{x2}' y2='{y2}' stroke='{color}' stroke-width='2' marker-end='url(#head)'/>"
    if label:
        out += (
            f"\n<text x='{(x1 + x2) // 2}' y='{(y1 + y2) // 2 - 6}' text-anchor='middle' font-size='11' "
            f"fill='{MUTED}'>{escape(label)}</text>"
        )
    return out


def pipeline_svg() -> str:
    """The whole diagram as an SVG document."""
    ns = [
        _box(20, 50, 190, 90, "nsllm gather", ["hidden states of every", "question token (+ negatives)"], NS),
        _box(240, 50, 190, 90, "nsllm train", ["the reader: type, operands,", "gate, from hidden states"], NS),
        _box(460, 50, 190, 90, "nsllm finetune", ["the writer: HRR code of", "Python's exact result → digit"], NS),
        _box(680, 50, 200, 90, "nsllm bench math", ["base vs NS per type,", "read / write errors"], NS),
        _arrow(210, 95, 238, 95, NS),
        _arrow(430, 95, 458, 95, NS),
        _arrow(650, 95, 678, 95, NS),
        _arrow(555, 140, 555, 168, NS),
        f"<text x='555' y='184' text-anchor='middle' font-size='12' fill='{NS}'>"
        "ns:runs/finetune-…  →  nsllm chat · nsllm serve · --task-llm</text>",
    ]
    steer = [
        _box(20, 250, 190, 100, "question", ["a SymBench task or", "your own (steer / chat)"], STEER),
        _box(235, 250, 235, 100, "steering model", ["round 0: <<<Code>>> or <<<Text>>>", *STEER_LATER], STEER),
        _box(500, 250, 170, 100, "task model", ["GPT-4o, Claude, any", "OpenAI-compatible or", "local model"], STEER),
        _box(710, 250, 170, 100, "sandbox + checkers", ["runs the code", "symbolic + self-answer", "checks"], STEER),
        _arrow(210, 300, 233, 300, STEER),
        _arrow(470, 285, 498, 285, STEER, "guidance"),
        _arrow(670, 285, 708, 285, STEER, "code"),
        f"<path d='M 795 350 L 795 378 L 350 378 L 350 354' fill='none' stroke='{STEER}' stroke-width='2' "
        "marker-end='url(#head)'/>",
        f"<text x='570' y='393' text-anchor='middle' font-size='11' fill='{MUTED}'>"
        "answer, execution result and checker reports go back to the steerer, round after round</text>",
    ]
    return "\n".join(
        [
            f"<svg xmlns='http://www.w3.org/2000/svg' width='{WIDTH}' height='{HEIGHT}' "
            f"viewBox='0 0 {WIDTH} {HEIGHT}' {FONT}>",
            "<defs><marker id='head' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' markerHeight='7' "
            f"orient='auto-start-reverse'><path d='M 0 0 L 10 5 L 0 10 z' fill='{INK}'/></marker></defs>",
            f"<rect width='{WIDTH}' height='{HEIGHT}' fill='#f6f8fa'/>",
            f"<text x='20' y='32' font-size='17' font-weight='bold' fill='{NS}'>Neurosymbolic LLM</text>",
            f"<text x='200' y='32' font-size='12' fill='{MUTED}'>"
            "the model reads the question, Python computes, the model writes the answer</text>",
            *ns,
            f"<text x='20' y='232' font-size='17' font-weight='bold' fill='{STEER}'>CodeSteer</text>",
            f"<text x='120' y='232' font-size='12' fill='{MUTED}'>"
            "a steering model guides a task model between code and text</text>",
            *steer,
            "</svg>",
            "",
        ]
    )
