"""Side-by-side answers of the selected run: one row per question, one column per method, details below."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Static

from nsllm_cli.runs.answers import AnswerGroups, AnswerRow, Cell

FIXED = (("label", "#"), ("question", "Question"), ("gold", "Gold"))


class AnswersPanel(Vertical):
    """Answers from `samples.jsonl` grouped by question; the highlighted question is shown in full below the table."""

    DEFAULT_CSS = """
    AnswersPanel {
        border: round $primary;
        height: 1fr;
    }
    AnswersPanel > DataTable { height: 1fr; }
    AnswersPanel > #answer-detail {
        height: auto;
        max-height: 6;
        color: $text-muted;
        padding: 0 1;
    }
    """

    def __init__(
        self,
        *,
        question_width: int = 40,
        answer_width: int = 24,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """An empty panel.

        Args:
            question_width: Characters of the question shown in the table.
            answer_width: Characters of each answer shown in the table.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.border_title = "Answers"
        self.question_width, self.answer_width = question_width, answer_width
        self.groups: AnswerGroups | None = None
        self._columns: list[str] = []

    def compose(self) -> ComposeResult:
        yield DataTable[str | Text](id="answers-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="answer-detail", markup=False)

    @property
    def table(self) -> DataTable[str | Text]:
        """The table of answers."""
        return self.query_one("#answers-table", DataTable)

    def clear_answers(self, message: str) -> None:
        """Empty the table and show `message` under it."""
        self.groups, self._columns = None, []
        self.table.clear(columns=True)
        self.border_subtitle = ""
        self.query_one("#answer-detail", Static).update(message)

    def show(self, groups: AnswerGroups, changed: set[str]) -> None:
        """Bring the table up to date with `groups`; only rows in `changed` are rewritten (all if methods changed)."""
        table = self.table
        wanted = [key for key, _ in FIXED] + groups.methods
        if wanted != self._columns or groups is not self.groups:
            table.clear(columns=True)
            for key, label in FIXED:
                table.add_column(label, key=key)
            for method in groups.methods:
                table.add_column(method, key=method)
            self._columns, changed = wanted, set(groups.rows)
        self.groups = groups
        for key in groups.rows:
            if key not in changed:
                continue
            cells = self._cells(groups.rows[key], groups.methods)
            if key in table.rows:
                for column, value in zip(wanted, cells, strict=True):
                    table.update_cell(key, column, value)
            else:
                table.add_row(*cells, key=key)
        n = len(groups.rows)
        self.border_subtitle = f"{n} question{'s' if n != 1 else ''} · {', '.join(groups.methods)} · {groups.kind}"
        if n and not self.query_one("#answer-detail", Static).content:
            self._detail(table.cursor_row)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._detail(event.cursor_row)

    def _detail(self, index: int) -> None:
        groups = self.groups
        if groups is None or not 0 <= index < len(groups.rows):
            return
        key = self.table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
        row = groups.rows.get(key or "")
        if row is None:
            return
        lines = [f"{row.label}: {_one_line(row.question, 300)}"] + ([f"gold: {row.gold}"] if row.gold else [])
        for method in groups.methods:
            cell = row.cells.get(method)
            if cell is not None:
                lines.append(f"{method} {_mark(cell)} {_one_line(cell.full or cell.answer, 300)}")
                if cell.note:
                    lines.append(f"  {method}: {cell.note}")
        self.query_one("#answer-detail", Static).update("\n".join(lines))

    def _cells(self, row: AnswerRow, methods: list[str]) -> list[str | Text]:
        out: list[str | Text] = [row.label, _one_line(row.question, self.question_width), _one_line(row.gold, 12)]
        for method in methods:
            cell = row.cells.get(method)
            out.append(_answer_text(cell, self.answer_width) if cell else Text("…", style="dim"))
        return out


def _answer_text(cell: Cell, width: int) -> Text:
    style = {True: "green", False: "red"}.get(cell.correct, "") if cell.correct is not None else ""
    return Text(f"{_mark(cell)} {_one_line(cell.answer, width)}".strip(), style=style)


def _mark(cell: Cell) -> str:
    return {True: "✓", False: "✗"}.get(cell.correct, "·") if cell.correct is not None else "·"


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
