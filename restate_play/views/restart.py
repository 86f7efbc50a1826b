"""A restart plan (`invocations restart --dry-run`): kept entries, what runs again, the traps."""

from __future__ import annotations

from rich.console import Group
from rich.table import Table
from rich.text import Text

from restate_play.restate.restart_plan import RestartPlan


def restart_plan_view(plan: RestartPlan, new_id: str | None = None) -> Group:
    head = Text()
    if new_id:
        head.append(f"Restarted {plan.invocation_id} as {new_id}", style="bold green")
    else:
        head.append(f"Dry run: nothing was started. Restarting {plan.invocation_id}", style="bold")
    head.append(f" from #{plan.restart_at} (Restate's from={plan.restate_from}).")
    table = Table(show_edge=False, pad_edge=False, box=None)
    table.add_column("#", justify="right")
    table.add_column("step")
    table.add_column("in the new invocation")
    for step in plan.kept:
        table.add_row(str(step.index), step.label, Text("kept: its recorded result is reused", style="green"))
    for step in plan.rerun:
        table.add_row(str(step.index), step.label, Text("runs again (if the code takes this path)", style="cyan"))
    if not plan.kept and not plan.rerun:
        table.add_row("", "(no steps)", "")
    parts: list = [head, table]
    for trap in plan.traps:
        parts.append(Text.assemble(("⚠ compensation trap: ", "bold red"), trap.sentence()))
    if advice := plan.advice():
        parts.append(Text(advice, style="yellow"))
    elif plan.kept:
        parts.append(Text("No kept step was undone by a later compensation.", style="green"))
    return Group(*parts)
