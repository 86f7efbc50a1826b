"""resume_invocation, restart_invocation: fixing forward from a scenario (like `invocations resume|restart`)."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING, ClassVar

from pydantic import Field, model_validator

from restate_play.errors import PlayError
from restate_play.scenario.actions.base import Action, Doc, Verdict, action, problem

if TYPE_CHECKING:
    from restate_play.restate.admin import Admin
    from restate_play.scenario.runner import ScenarioRunner

LABEL_DOC = "The label ('as') of a request in an earlier step."
DEPLOYMENT_DOC = "'latest' (the newest deployment: the fix), 'keep', or a deployment id (dp_…)."


def _admin(run: ScenarioRunner) -> Admin:
    from restate_play.restate.admin import Admin

    return Admin(run.sql.admin_url, http=run.ingress.http)  # the run's client: nothing to close


def _announce(run: ScenarioRunner, kind: str, label: str | None, line: str) -> None:
    """Shown like a request's curl line: the command that does the same by hand."""
    from restate_play.scenario.runner import Announced

    run.reporter.request(Announced(kind, line.split()[3], label), line)


@action
class ResumeInvocation(Action):
    name: ClassVar[str] = "resume_invocation"
    summary: ClassVar[str] = (
        "Resume a paused (or backing-off) labelled invocation, optionally on the latest deployment."
    )
    example: ClassVar[str] = 'resume_invocation = "trip"\ndeployment = "latest"'
    resume_invocation: str = Field(description=LABEL_DOC)
    deployment: str | None = Doc(DEPLOYMENT_DOC + " Not given: its own deployment.")

    def refers(self) -> list[tuple[str, str]]:
        return [("resume_invocation", self.resume_invocation)]

    async def play(self, run: ScenarioRunner) -> None:
        what = f"resume '{self.resume_invocation}'" + (f" on {self.deployment}" if self.deployment else "")
        inv_id = await run.invocation_id(self.resume_invocation)
        if inv_id is None:
            run.record(self, Verdict(what, False, "no invocation found under this label"))
            return
        on = f" --deployment {self.deployment}" if self.deployment else ""
        _announce(run, "resume", self.resume_invocation, f"restate-play invocations resume {inv_id}{on}")
        code, message = await _admin(run).resume(inv_id, self.deployment)
        if code >= 300:
            run.record(self, Verdict(what, False, f"refused ({code}): {message}"))
            return
        run.reporter.note(f"resumed {inv_id}" + (f" on deployment {self.deployment}" if self.deployment else ""))


@action
class RestartInvocation(Action):
    name: ClassVar[str] = "restart_invocation"
    summary: ClassVar[str] = (
        "Restart a completed labelled invocation as a new one from a journal entry (restart-as-new); "
        "checks the compensation traps."
    )
    example: ClassVar[str] = (
        'restart_invocation = "trip"\nfrom = "Book hotel"\nexpect_traps = ["Book flight", "Book car"]\nas = "again"'
    )
    restart_invocation: str = Field(description="The label ('as') of an earlier, completed invocation.")
    start_from: str | int = Doc(
        "The first entry to run again: a step name ('Book hotel', 'Book hotel#2') or an index; 0 starts over.",
        0,
        alias="from",
    )
    deployment: str | None = Doc(DEPLOYMENT_DOC + " Not given: the latest.")
    dry_run: bool = Doc("Only plan it (kept entries, traps); start nothing.", False)
    expect_traps: list[str] | None = Doc(
        "Kept steps the plan must name as undone by a later compensation ([] for none)."
    )
    label: str | None = Doc("A label for the new invocation, for later steps (wait_for, expect_journal).", alias="as")

    @model_validator(mode="after")
    def _consistent(self) -> RestartInvocation:
        if self.dry_run and self.label:
            raise problem("as", "no label on a dry run (it starts no invocation)", self.label)
        if isinstance(self.start_from, int) and self.start_from < 0:
            raise problem("from", "an index of 0 or more, or a step name", self.start_from)
        return self

    def defines(self) -> list[str]:
        return [self.label] if self.label else []

    def refers(self) -> list[tuple[str, str]]:
        return [("restart_invocation", self.restart_invocation)]

    def judge_traps(self, trapped: list[str]) -> Verdict | None:
        """Pure: the plan's trapped steps against `expect_traps` (None: nothing expected, no check)."""
        if self.expect_traps is None:
            return None
        wanted = f"restart of '{self.restart_invocation}' from {self.start_from!r} names traps {self.expect_traps}"
        ok = sorted(trapped) == sorted(self.expect_traps)
        return Verdict(wanted, ok, f"kept but undone by a compensation: {trapped or 'none'}")

    async def play(self, run: ScenarioRunner) -> None:
        from restate_play.restate.restart_plan import entry_index, plan

        what = f"restart '{self.restart_invocation}' from {self.start_from!r}"
        inv = await run.invocation(self.restart_invocation)
        if inv is None or not inv.done:
            run.record(self, Verdict(what, False, f"it is {inv.status if inv else 'not found'}, not completed"))
            return
        journal = await run.sql.journal(inv.id)
        try:
            the_plan = plan(inv.id, journal, entry_index(journal, str(self.start_from)), run.ledger())
        except PlayError as err:
            run.record(self, Verdict(what, False, err.message))
            return
        on = f" --deployment {self.deployment}" if self.deployment else ""
        line = f"restate-play invocations restart {inv.id} --from {shlex.quote(str(self.start_from))}{on}"
        _announce(run, "restart", self.label, line + (" --dry-run" if self.dry_run else ""))
        for trap in the_plan.traps:
            run.reporter.note(f"⚠ compensation trap: {trap.sentence()}")
        if verdict := self.judge_traps([t.kept.name for t in the_plan.traps]):
            run.record(self, verdict)
        if self.dry_run:
            return
        code, answer = await _admin(run).restart_as_new(inv.id, the_plan.restate_from, self.deployment)
        if code >= 300:
            run.record(self, Verdict(what, False, f"refused ({code}): {answer}"))
            return
        kept = ", ".join(f"#{s.index} {s.name}" for s in the_plan.kept) or "nothing but the input"
        run.reporter.note(f"↺ {inv.id} restarted as {answer} (kept {kept})")
        if self.label:
            run.label_invocation(self.label, inv.target, answer)
