"""Wording generator: digit spans and roles, the held-out family split, negatives and the shipped prompt file."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from nsllm_cli.ns.problems import (
    ALL_TYPES,
    TEMPLATES,
    TRAIN_TYPES,
    Problem,
    apply,
    make_problem,
    question_text,
    solve,
)
from nsllm_cli.ns.wordings import (
    NEGATIVE,
    QUESTION_KINDS,
    WORDING_SPLITS,
    Wording,
    families,
    heldout_family,
    negatives,
    phrase,
)
from nsllm_cli.ns.wordings._minimal import TRAINED_VERBS, UNTRAINED_VERBS, VERB_FRAMES, trained_pairs, untrained_pairs
from nsllm_cli.ns.wordings._registry import TRAIN_FAMILIES, TRAIN_FORMS
from nsllm_cli.ns.wordings._scenes import SCENE_QUESTIONS, scene, scene_pairs
from nsllm_cli.ns.wordings._stories import PLOTS, near_misses, story_forms

PROMPTS_FILE = Path(__file__).resolve().parents[1] / "data" / "non_math_prompts.txt"
DIGITS = re.compile(r"[0-9]+")
# Words and symbols that name one of the 10 operations; a negative must contain none of them.
OPERATION_WORDS = re.compile(
    r"\b(gcd|lcm|hcf|g\.c\.d|mod|modulo|modulus|xor|remainder|bitwise|divisor|divisible|quotient|product|multiply|"
    r"multiplied|times|plus|sum|add|added|divide|divided|factor|multiple|common)\b",
    re.IGNORECASE,
)
# Addition and division are the unseen types: no negative, minimal pair or not, may name them.
UNSEEN_WORDS = re.compile(
    r"\b(plus|sum|add|added|adding|total|divide|divided|division|quotient|ratio)\b|[0-9]\s*(?:\+|//|÷)\s*[0-9]",
    re.IGNORECASE,
)
# A single "/" between numbers is allowed only where it is not an operation (dates, rates, scores: 14/7/1789);
# a question that asks for x / y is caught by DIVISION_FRAME.
OPERATION_SYMBOLS = re.compile(r"[0-9]\s*(?:[+&|^%]|//|(?<!\*)\*(?!\*))\s*[0-9(]|\b(?:AND|OR|XOR)\b")
DIVISION_FRAME = re.compile(r"(?:what is|compute|calculate|find|evaluate)\s+\d+\s*/\s*\d+|\d+\s*/\s*\d+\s*=", re.I)
# The narrower check for the hand-written prompts: no operation name or operator between numbers.
TRAINED_WORDS = re.compile(r"\b(gcd|lcm|mod|modulo|xor|remainder|bitwise|quotient)\b", re.IGNORECASE)


def random_problems(n: int, seed: int) -> list[tuple[int, Problem]]:
    """`n` (complexity, Problem) pairs over all 10 types with x > y, complexity 0..3; a third of the multiplication
    and lcm questions exact, a third with a modulus other than the paper's."""
    rng = np.random.default_rng(seed)
    out: list[tuple[int, Problem]] = []
    for _ in range(n):
        c = int(rng.integers(0, 4))
        high = 10 ** (c + 1)
        x, y = sorted(int(v) for v in rng.choice(np.arange(1, high), size=2, replace=False))[::-1]
        kind = int(rng.integers(3))
        modulus = int(rng.integers(2, high)) if kind == 2 else None
        t = ALL_TYPES[int(rng.integers(len(ALL_TYPES)))]
        out.append((c, make_problem(t, x, y, complexity=c, exact=kind == 1, modulus=modulus)))
    return out


def check_spans(w: Wording) -> None:
    """Spans cover exactly the maximal ASCII digit runs, in order, with valid roles."""
    assert [(a, b) for a, b, _ in w.spans] == [m.span() for m in DIGITS.finditer(w.text)], w.text
    assert {role for _, _, role in w.spans} <= {"x", "y", "m", "other"}


@pytest.mark.parametrize("split", WORDING_SPLITS)
def test_spans_and_roles_over_many_samples(split: str) -> None:
    rng = np.random.default_rng(7)
    seen: set[str] = set()
    for c, problem in random_problems(32000 if split == "train" else 6000, seed=WORDING_SPLITS.index(split)):
        w = phrase(problem, rng, split=split, complexity=c)
        check_spans(w)
        roles = Counter(role for _, _, role in w.spans)
        assert roles["x"] == 1 and roles["y"] == 1, w.text
        span = {role: w.text[a:b] for a, b, role in w.spans if role != "other"}
        modulus = {"m": str(problem.modulus)} if problem.modulus else {}
        assert span == {"x": str(w.x), "y": str(w.y), **modulus}, w.text
        assert w.problem_type is not None and w.x is not None and w.y is not None
        assert (w.problem_type, w.x, w.y) == problem.key
        assert apply(w.problem_type, w.x, w.y, problem.modulus) == problem.solution
        assert w.kind in QUESTION_KINDS
        assert w.family in families(w.problem_type, split) and heldout_family(w.family) == (split == "heldout")
        if w.problem_type in ("multiplication", "lcm"):
            # an exact question names no modulus (a modded one has its "m" span, checked above)
            if problem.modulus is None:
                assert not re.search(r"\bmod(ulo)?\b|%|\bremainder\b", w.text, re.I), w.text
        seen.add(w.family)
    assert seen == {f for t in ALL_TYPES for f in families(t, split)}  # every family rendered


def test_family_counts_and_disjoint_splits() -> None:
    for t in ALL_TYPES:
        train, held = families(t, "train"), families(t, "heldout")
        assert len(held) >= 10, t  # addition and division too: they measure the gate
        assert len(train) >= (40 if t in TRAIN_TYPES else 20), t
        assert not set(train) & set(held)
        assert f"{t}/paper-0" in train and not heldout_family(f"{t}/paper-0")
        assert all(not heldout_family(f) for f in train) and all(heldout_family(f) for f in held)
    neg_train, neg_held = families(NEGATIVE, "train"), families(NEGATIVE, "heldout")
    assert not set(neg_train) & set(neg_held) and len(neg_held) >= 10 and len(neg_train) >= 40


def test_paper_wording_is_the_original_text() -> None:
    rng = np.random.default_rng(0)
    for t in ALL_TYPES:
        problem = make_problem(t, 866, 47)
        texts = {w.text for w in (phrase(problem, rng) for _ in range(600)) if w.family == f"{t}/paper-0"}
        assert texts == {question_text(t, 866, 47)} and TEMPLATES[t][0].startswith("What is")


@pytest.mark.parametrize("problem_type", ALL_TYPES)
def test_heldout_wordings_never_appear_in_train(problem_type: str) -> None:
    rng = np.random.default_rng(3)
    problem = make_problem(problem_type, 84, 12)
    train = {phrase(problem, rng).text for _ in range(3000)}
    held = {phrase(problem, rng, split="heldout").text for _ in range(1000)}
    assert not train & held

    def bare(text: str) -> str:  # the operation phrasing without framing words and punctuation
        return re.sub(r"[^\w^&|%*/⊕＋·∧∨÷−\[\]]+", " ", text.lower()).strip()

    train_bare = " | ".join(bare(t) for t in train)
    # held-out terse forms and word problems are new surface forms, not just new frames of a train phrasing
    for w in (phrase(problem, rng, split="heldout") for _ in range(300)):
        if w.kind in ("terse", "word-problem"):
            assert bare(w.text) not in train_bare, w.text


def test_roles_follow_meaning_when_y_comes_first() -> None:
    rng = np.random.default_rng(1)
    problem = make_problem("modulo", 866, 47)
    for w in (phrase(problem, rng) for _ in range(2000)):
        if "divides" in w.text:
            x_at = next(a for a, _, role in w.spans if role == "x")
            y_at = next(a for a, _, role in w.spans if role == "y")
            assert y_at < x_at and w.text[x_at : x_at + 3] == "866"
            break
    else:
        pytest.fail("no 'the remainder when y divides x' wording drawn")


def test_repeated_operand_is_tagged_once() -> None:
    rng = np.random.default_rng(2)
    problem = make_problem("square_mod", 123, 45)
    drawn = (phrase(problem, rng) for _ in range(3000))
    doubled = [w for w in drawn if sum(w.text[a:b] == "123" for a, b, _ in w.spans) == 2]
    assert doubled
    for w in doubled:
        assert [role for a, b, role in w.spans if w.text[a:b] == "123"] == ["x", "other"]


def test_deterministic_given_the_seed() -> None:
    problems = [p for _, p in random_problems(200, seed=5)]

    def run(seed: int) -> list[Wording]:
        rng = np.random.default_rng(seed)
        return [phrase(p, rng) for p in problems] + negatives(200, rng)

    assert run(11) == run(11)
    assert [w.text for w in run(11)] != [w.text for w in run(12)]


@pytest.mark.parametrize("split", WORDING_SPLITS)
def test_negatives(split: str) -> None:
    out = negatives(3000, np.random.default_rng(9), split=split)
    assert len(out) == 3000
    assert len({w.text for w in out}) >= 2000
    kinds = Counter(w.kind for w in out)
    assert set(kinds) == {"negative-text", "negative-numeric", "negative-math"}
    assert 600 <= kinds["negative-text"] <= 900 and 600 <= kinds["negative-numeric"] <= 900, kinds
    assert 1300 <= kinds["negative-math"] <= 1700, kinds  # half: other operations, many as minimal pairs
    allowed = set(families(NEGATIVE, split))
    for w in out:
        check_spans(w)
        assert w.problem_type is None and w.x is None and w.y is None
        assert all(role == "other" for _, _, role in w.spans)
        assert w.family in allowed and heldout_family(w.family) == (split == "heldout")
        assert not UNSEEN_WORDS.search(w.text), w.text  # addition and division are never negatives
        assert not DIVISION_FRAME.search(w.text), w.text
        if w.family.startswith(f"{NEGATIVE}/scene-"):
            # a trained word problem's scene (it may name the operation) asked a question no trained one answers
            assert TRAIN_FAMILIES[w.family].template.endswith(SCENE_QUESTIONS), w.text
            continue
        if w.family.startswith((f"{NEGATIVE}/pair-", f"{NEGATIVE}/unknown-op-", f"{NEGATIVE}/near-miss-")):
            continue  # a trained frame or story scene ("gcd(x,y)" too) with an untrained or meaningless operation word
        assert not OPERATION_WORDS.search(w.text), w.text
        assert not OPERATION_SYMBOLS.search(w.text), w.text
        assert not re.search(r"[0-9],[0-9]", w.text)
    assert sum(bool(w.spans) for w in out) > 1500  # numeric and math negatives carry numbers


def test_bad_arguments() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="split"):
        phrase(make_problem("gcd", 4, 2), rng, split="test")
    with pytest.raises(ValueError, match="split"):
        negatives(3, rng, split="val")
    with pytest.raises(ValueError, match="unknown problem type"):
        families("exponentiation", "train")
    with pytest.raises(ValueError, match="unknown wording family"):
        heldout_family("gcd/np-99")
    assert negatives(0, rng) == []


def test_shipped_non_math_prompts() -> None:
    lines = [line.strip() for line in PROMPTS_FILE.read_text(encoding="utf-8").splitlines()]
    prompts = [line for line in lines if line]
    assert len(set(prompts)) == len(prompts) >= 230
    generated = {w.text for split in WORDING_SPLITS for w in negatives(20000, np.random.default_rng(0), split=split)}
    assert not generated & set(prompts)
    for prompt in prompts:
        assert not TRAINED_WORDS.search(prompt), prompt
        assert not OPERATION_SYMBOLS.search(prompt), prompt


def _four_word_phrases(template: str) -> set[str]:
    """Every run of four words in a template, none of them a slot ({x}, {year}...), case-folded."""
    words = re.findall(r"\{[a-z0-9_]+\}|[a-z0-9']+", template.lower())
    runs = (words[i : i + 4] for i in range(len(words) - 3))
    return {" ".join(run) for run in runs if not any(w.startswith("{") for w in run)}


def test_no_heldout_family_shares_a_four_word_phrase_with_training() -> None:
    from nsllm_cli.ns.wordings import _frames
    from nsllm_cli.ns.wordings._registry import TRAIN_FAMILIES, heldout_families

    frames = [
        *_frames.OPENERS, *_frames.PREFIXES, *_frames.SUFFIXES, *_frames.CHAT_PREFIXES, *_frames.CHAT_SUFFIXES,
        *_frames.CONTEXT_PREFIXES,
    ]  # fmt: skip
    trained = set().union(*(_four_word_phrases(t) for t in [*(f.template for f in TRAIN_FAMILIES.values()), *frames]))
    shared = {f.id: _four_word_phrases(f.template) & trained for f in heldout_families().values()}
    assert not {k: v for k, v in shared.items() if v}
    # the check itself finds a shared phrase
    assert _four_word_phrases("Find the greatest common divisor of {x} and {y}.") & trained


def test_building_training_data_never_loads_the_heldout_module() -> None:
    """The held-out families live in their own module; generating training prompts (reader and writer) and importing
    the training code must not load it. Asking for a held-out wording does."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from nsllm_cli.ns import train_run\n"
        "from nsllm_cli.ns.steps import finetune, gather, read_data, train\n"
        "items = read_data.reader_items(n_pos=300, n_neg=120, seed=0, split='train')\n"
        "assert len(items) == 420\n"
        "writer = train_run.writer_items(80, seed=0, complexity=2)\n"
        "print('loaded' if 'nsllm_cli.ns.heldout_wordings' in sys.modules else 'clean')\n"
        "read_data.reader_items(n_pos=10, n_neg=0, seed=0, split='heldout')\n"
        "print('loaded' if 'nsllm_cli.ns.heldout_wordings' in sys.modules else 'clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True)
    assert out.stdout.split() == ["clean", "loaded"], out.stderr


def test_training_operands_cover_every_length_and_zero_results() -> None:
    from nsllm_cli.ns.problems import COMMUTATIVE
    from nsllm_cli.ns.sampling import training_problems

    problems = training_problems(300, seed=1, types=TRAIN_TYPES)
    lengths = Counter(len(str(v)) for p in problems for v in (p.x, p.y))
    assert all(0.25 <= lengths[k] / sum(lengths.values()) <= 0.42 for k in (1, 2, 3)), lengths
    zeros = Counter(p.problem_type for p in problems if p.solution == 0)
    assert {"modulo", "square_mod", "multiplication", "bitwise_and", "bitwise_xor", "lcm"} <= set(zeros), zeros
    swapped = [p for p in problems if p.problem_type not in COMMUTATIVE and p.x < p.y]
    assert {p.problem_type for p in swapped} == {"modulo", "square_mod"}  # roles cannot come from size
    assert all(solve(p.problem_type, p.x, p.y) == p.solution for p in problems)


def test_verb_frames_carry_trained_and_untrained_verbs_alike() -> None:
    """Every imperative frame appears with a trained verb (a question of that type) and with untrained verbs (a
    negative), so the verb decides; no addition or division verb is among them."""
    pairs = trained_pairs()
    negs = untrained_pairs()
    for problem_type, verbs in TRAINED_VERBS.items():
        for verb, conn in verbs:
            mine = [t for t in pairs[problem_type] if verb.lower() in t.lower() and conn.strip(", ") in t]
            assert len(mine) >= len(VERB_FRAMES), (problem_type, verb, conn)
    for frame in VERB_FRAMES:
        opener = frame.split("{")[0] or frame.split("}")[-1]
        assert sum(opener in t for t in negs) >= len(UNTRAINED_VERBS) // 2, frame
    assert any(t == "Multiply {x} by {y} mod {m}." for t in pairs["multiplication"])
    assert "Subtract {num} from {num2}." in negs
    unseen = re.compile(r"\b(add|plus|sum|total|divide|split|share|quotient)\b", re.IGNORECASE)
    assert not [t for t in negs if unseen.search(t)]


def test_scenes_split_off_the_question_of_trained_word_problems() -> None:
    """A scene keeps the sentences before the question when they hold both operands; a word problem whose question
    names an operand has none. Scene negatives exist only for trained types, with every scene question."""
    assert scene("{x} sweets are shared among {y} children equally; how many are left over?") == (
        "{x} sweets are shared among {y} children equally."
    )
    assert scene("A farmer packs {x} eggs into boxes of {y}. How many eggs are left unpacked?") == (
        "A farmer packs {x} eggs into boxes of {y}."
    )
    assert scene("A box holds {y} eggs. With {x} eggs, how many are left over?") is None
    assert scene("{x} and {y} are numbers.") is None  # no question: nothing to swap
    word = {t: TRAIN_FORMS[t].get("word", ()) for t in TRAIN_TYPES}
    out = scene_pairs(word)
    scenes = {scene(t) for ts in word.values() for t in ts} - {None}
    assert len(scenes) >= 20 and len(out) == len(scenes) * len(SCENE_QUESTIONS)
    assert all("{x}" not in t and "{y}" not in t and "{num}" in t and "{num2}" in t for t in out)
    assert all(t.endswith(SCENE_QUESTIONS) for t in out)
    unseen_scenes = {scene(t) for t in TRAIN_FORMS["addition"]["word"] + TRAIN_FORMS["division"]["word"]} - {None}
    assert unseen_scenes and not any(
        (s or "").replace("{x}", "{num}").replace("{y}", "{num2}") in t for s in unseen_scenes for t in out
    )


def test_story_word_problems_compose_plots_of_trained_types_only() -> None:
    """Every trained type has composed stories, each with both operands once; the bitwise stories share their scenes,
    so the question alone tells AND, OR and XOR apart; no story is addition or division; stories are a bounded share
    of the training questions, and their scenes also become scene negatives."""
    forms = story_forms()
    assert set(forms) == set(TRAIN_TYPES)
    for t, templates in forms.items():
        assert len(templates) >= 10, t
        for template in templates:
            assert template.count("{y}") == 1 and template.count("{x}") >= 1, template
            assert ("{m}" in template) == (t in ("multiplication", "lcm")), template
    for plots in PLOTS.values():  # a scene negative keeps the scene and never a trained question's instruction
        assert all(scene(f"{s} {q}") in (s, None) for scenes, questions, _ in plots for s in scenes for q in questions)
    scenes_of = {t: {scene(s) for s in forms[t]} for t in ("bitwise_and", "bitwise_or", "bitwise_xor")}
    assert scenes_of["bitwise_and"] == scenes_of["bitwise_or"] == scenes_of["bitwise_xor"] != {None}
    questions_of = {t: {s.split(scene(s) or "")[1] for s in forms[t]} for t in scenes_of}
    assert not (questions_of["bitwise_and"] & questions_of["bitwise_or"]) and not (
        questions_of["bitwise_or"] & questions_of["bitwise_xor"]
    )
    rng = np.random.default_rng(5)
    drawn = [phrase(make_problem(t, 384, 57), rng) for t in TRAIN_TYPES for _ in range(150)]
    share = sum("/story-" in w.family for w in drawn) / len(drawn)
    assert 0.04 < share < 0.2, share
    story = [w for w in drawn if "/story-" in w.family]
    assert all(w.kind == "word-problem" and {r for *_, r in w.spans} >= {"x", "y"} for w in story)
    negative_scenes = {f.template for f in TRAIN_FAMILIES.values() if f.id.startswith("neg/scene-")}
    story_scene = (scene(forms["gcd"][0]) or "").replace("{x}", "{num}").replace("{y}", "{num2}")
    assert any(t.startswith(story_scene) for t in negative_scenes)


def test_near_miss_negatives_ask_untrained_questions_in_story_scenes() -> None:
    """Every plot has near-miss questions; as negatives they carry the plot's scenes with no operand slots and no
    trained question of any plot, and `negatives` draws them."""
    trained_questions = {q for plots in PLOTS.values() for _, questions, _ in plots for q in questions}
    for plots in PLOTS.values():
        for *_, near in plots:
            assert near and not set(near) & trained_questions
    templates = near_misses()
    assert templates and all("{x}" not in t and "{y}" not in t and "{num}" in t for t in templates)
    assert not any(t.endswith(q) for t in templates for q in trained_questions)
    drawn = negatives(3000, np.random.default_rng(2))
    picked = [w for w in drawn if w.family.startswith("neg/near-miss-")]
    assert 0.03 < len(picked) / len(drawn) < 0.15
    assert all(w.problem_type is None and all(r == "other" for *_, r in w.spans) for w in picked)
