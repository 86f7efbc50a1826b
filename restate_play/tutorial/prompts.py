"""How the tutorial asks: questionary in a terminal, or answers given up front (--answers)."""

from __future__ import annotations

from typing import Protocol

from restate_play.errors import PlayError


class OutOfAnswers(Exception):
    """Scripted answers are used up: the tutorial stops here, progress kept."""


class Prompter(Protocol):
    def choose(self, question: str, choices: list[str]) -> int:
        """The index of the chosen answer. Ctrl-C raises KeyboardInterrupt."""
        ...

    def go_on(self, next_title: str) -> bool:
        """Whether to continue with the next chapter."""
        ...

    def pause(self, next_step: str) -> None:
        """Wait for Enter: the last result stays on screen until the learner has read it."""
        ...


class QuestionaryPrompter:
    """Arrow keys and Enter. Uses prompt_toolkit's current app session (tests feed a pipe input)."""

    def choose(self, question: str, choices: list[str]) -> int:
        import questionary

        options = [questionary.Choice(f"{chr(ord('a') + i)}) {text}", value=i) for i, text in enumerate(choices)]
        # unsafe_ask: Ctrl-C raises KeyboardInterrupt (ask() would swallow it and return None).
        answer = questionary.select(question, choices=options, qmark="🤔", instruction="(arrows, Enter)").unsafe_ask()
        if answer is None:  # e.g. end of input
            raise KeyboardInterrupt
        return int(answer)

    def go_on(self, next_title: str) -> bool:
        import questionary

        answer = questionary.select(
            f"Next: {next_title}",
            choices=[
                questionary.Choice("Continue", value=True),
                questionary.Choice("Stop here (progress is kept)", value=False),
            ],
            qmark="➜",
        ).unsafe_ask()
        if answer is None:
            raise KeyboardInterrupt
        return bool(answer)

    def pause(self, next_step: str) -> None:
        import questionary

        questionary.press_any_key_to_continue(f"Press Enter for {next_step}…").unsafe_ask()


def parse_answers(spec: str) -> list[str]:
    """'2,b,1' → ['2', 'b', '1']: choice numbers (from 1) or letters, comma or space separated."""
    tokens = [t.strip().lower() for t in spec.replace(" ", ",").split(",") if t.strip()]
    for token in tokens:
        if not (token.isdigit() and int(token) >= 1) and not (len(token) == 1 and "a" <= token <= "z"):
            raise PlayError(
                f"--answers: '{token}' is not a choice.", "Give choice numbers from 1 or letters, like --answers 2,b,1."
            )
    return tokens


class ScriptedPrompter:
    """Answers given up front, one per question. Chapters go on while answers remain."""

    def __init__(self, answers: list[str], echo=None):
        self.answers = list(answers)
        self.echo = echo or (lambda _line: None)

    def choose(self, question: str, choices: list[str]) -> int:
        if not self.answers:
            raise OutOfAnswers
        token = self.answers.pop(0)
        index = int(token) - 1 if token.isdigit() else ord(token) - ord("a")
        if not 0 <= index < len(choices):
            raise PlayError(f"--answers: '{token}' is not one of the {len(choices)} choices of: {question}")
        self.echo(f"🤔 {question}\n   → {chr(ord('a') + index)}) {choices[index]}")
        return index

    def go_on(self, next_title: str) -> bool:
        if not self.answers:
            raise OutOfAnswers
        return True

    def pause(self, next_step: str) -> None:
        pass  # scripted: nobody is reading along
