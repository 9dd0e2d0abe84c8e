"""Training wording families of the bitwise AND, XOR and OR (slots: see `_registry`)."""

from __future__ import annotations

BITWISE_FORMS: dict[str, dict[str, tuple[str, ...]]] = {
    "bitwise_and": {
        "np": (
            "the bitwise AND of {x} and {y}",
            "{x} & {y}",
            "{x} and {y} combined with bitwise and",
            "the bitwise and of {y} and {x}",
            "{x} bitwise-AND {y}",
            "the binary AND of {x} and {y}",
            "the number whose bits are set in both {x} and {y}",
            "{y} & {x}",
            "the result of ANDing {x} with {y}",
        ),
        "ask": (
            "If you AND {x} and {y} bit by bit, what number do you get?",
            "Which bits are on in both {x} and {y}? Give the resulting number.",
            "Apply a bitwise AND to {x} and {y}. What is the result?",
            "Take {x} and {y} in binary and keep only the 1 bits they share. What number is that?",
        ),
        "terse": (
            "{x} & {y} = ?",
            "{x}&{y}",
            "{x} AND {y} =",
            "and({x}, {y})",
            "{y} & {x} =",
            "AND({x}, {y})",
            "{x} .and. {y}",
            "{x} & {y}",
            "{x} AND {y}",
        ),
        "word": (
            "Two switch panels have settings {x} and {y}, read as binary numbers. A light is on only where both "
            "panels have a switch on. What number do the lights show?",
            "Feature flags {x} and {y} are stored as bit masks. Which flags are enabled in both, as a number?",
            "The network mask {y} is applied to the address value {x} with a bitwise AND. What is the result?",
        ),
        "chat": ("{x} & {y}?", "whats {x} AND {y} (bitwise)", "bitwise and of {x} n {y} pls"),
    },
    "bitwise_xor": {
        "np": (
            "the bitwise XOR of {x} and {y}",
            "{x} ^ {y}",
            "{x} xor {y}",
            "the exclusive or of {x} and {y}",
            "the bitwise exclusive-or of {y} and {x}",
            "{x} combined with {y} using XOR",
            "the result of XORing {x} with {y}",
            "{y} ^ {x}",
            "the bitwise xor of {y} and {x}",
        ),
        "ask": (
            "If you XOR {x} and {y}, what do you get?",
            "Apply exclusive or to {x} and {y} bit by bit. What is the result?",
            "Which number has a 1 bit exactly where {x} and {y} differ?",
            "What do you get when {x} is XORed with {y}?",
        ),
        "terse": (
            "{x} ^ {y} = ?",
            "{x}^{y}",
            "{x} XOR {y} =",
            "xor({x}, {y})",
            "{x} xor {y} = ?",
            "XOR({x}, {y})",
            "{x} .xor. {y}",
            "{x} ^ {y}",
            "{x} XOR {y}",
        ),
        "word": (
            "Two light strips show the binary patterns {x} and {y}. A third strip lights where exactly one of "
            "them is lit. What number does it show?",
            "A message value {x} is encrypted by XOR with the key {y}. What is the encrypted value?",
            "Two players' switch settings are {x} and {y} in binary. A lamp is on where their switches differ. "
            "What number is shown?",
        ),
        "chat": ("{x} xor {y}?", "whats {x} ^ {y} (xor)", "xor {x} with {y} pls"),
    },
    "bitwise_or": {
        "np": (
            "the bitwise OR of {x} and {y}",
            "{x} | {y}",
            "{x} and {y} combined with bitwise or",
            "the bitwise or of {y} and {x}",
            "the binary OR of {x} and {y}",
            "{x} bitwise-OR {y}",
            "the result of ORing {x} with {y}",
            "{y} | {x}",
            "the number with the bits set in either {x} or {y}",
        ),
        "ask": (
            "If you OR {x} and {y} bit by bit, what do you get?",
            "Apply a bitwise OR to {x} and {y}. What is the result?",
            "Which number has every bit that is on in {x} or in {y}?",
            "What do you get when {x} is ORed with {y}?",
        ),
        "terse": (
            "{x} | {y} = ?",
            "{x}|{y}",
            "{x} OR {y} =",
            "or({x}, {y})",
            "{y} | {x} =",
            "OR({x}, {y})",
            "{x} .or. {y}",
            "{x} | {y}",
            "{x} OR {y}",
        ),
        "word": (
            "Two switch panels have settings {x} and {y} in binary. A light is on where at least one panel has "
            "its switch on. What number do the lights show?",
            "Permissions {x} and {y} are bit masks. Combine them so a permission is granted if either grants it. "
            "What is the combined mask?",
            "Two sensors report the bit patterns {x} and {y}. An alarm bit is raised where either sensor fires. "
            "What number do the alarm bits form?",
        ),
        "chat": ("{x} | {y}?", "whats {x} OR {y} bitwise", "bitwise or of {x} n {y} pls"),
    },
}
