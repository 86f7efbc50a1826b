"""resume_invocation, restart_invocation: fields, cross-field rules, labels and the trap verdict."""

import pytest
from scenario_helpers import rejected, steps

SENT = '[[step]]\nsend = "BookingWorkflow/run"\nas = "trip"\n'


@pytest.mark.parametrize(
    "text, fragments",
    [
        ('[[step]]\nresume_invocation = "ghost"\n', ["'resume_invocation'", "earlier step", "ghost"]),
        ('[[step]]\nrestart_invocation = "ghost"\n', ["'restart_invocation'", "ghost"]),
        (SENT + '[[step]]\nrestart_invocation = "trip"\ndry_run = true\nas = "x"\n', ["'as'", "dry run"]),
        (SENT + '[[step]]\nrestart_invocation = "trip"\nfrom = -1\n', ["'from'", "0 or more"]),
        (SENT + '[[step]]\nrestart_invocation = "trip"\nfrom = 1.5\n', ["field 'from", "got 1.5"]),
        (SENT + '[[step]]\nresume_invocation = "trip"\ndeploy = "latest"\n', ["'deploy'", "unknown field"]),
    ],
)
def test_fixing_steps_reject_with_the_field(text, fragments):
    rejected(text, *fragments)


def test_restart_defaults_from_by_name_or_index_and_its_label():
    _, by_name, by_index = steps(
        SENT
        + '[[step]]\nrestart_invocation = "trip"\nfrom = "Book hotel"\nas = "again"\n'
        + '[[step]]\nrestart_invocation = "trip"\nfrom = 5\ndry_run = true\n'
    )
    assert (by_name.start_from, by_name.label, by_name.deployment) == ("Book hotel", "again", None)
    assert by_name.defines() == ["again"] and by_name.refers() == [("restart_invocation", "trip")]
    assert by_index.start_from == 5 and by_index.defines() == []


def test_a_later_step_may_use_the_restarted_label():
    *_, wait = steps(SENT + '[[step]]\nrestart_invocation = "trip"\nas = "again"\n[[step]]\nwait_for = "again"\n')
    assert wait.wait_for == "again"


def test_trap_verdicts():
    _, restart = steps(SENT + '[[step]]\nrestart_invocation = "trip"\nexpect_traps = ["Book flight", "Book car"]\n')
    assert restart.judge_traps(["Book car", "Book flight"]).ok
    missed = restart.judge_traps([])
    assert not missed.ok and "none" in missed.observed
    _, none_expected = steps(SENT + '[[step]]\nrestart_invocation = "trip"\nexpect_traps = []\n')
    assert none_expected.judge_traps([]).ok and not none_expected.judge_traps(["Book car"]).ok
    _, unchecked = steps(SENT + '[[step]]\nrestart_invocation = "trip"\n')
    assert unchecked.judge_traps(["Book car"]) is None


def test_resume_on_latest():
    _, resume = steps(SENT + '[[step]]\nresume_invocation = "trip"\ndeployment = "latest"\n')
    assert (resume.resume_invocation, resume.deployment) == ("trip", "latest")
