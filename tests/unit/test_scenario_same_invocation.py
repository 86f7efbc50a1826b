"""`expect.same_invocation_as`: a send's answer names the invocation of an earlier labelled request."""

import pytest
from conftest import write_scenario as write

from restate_play.scenario.model import ScenarioError, load

FIRST = '[[step]]\nsend = "S/h"\nidempotency_key = "k"\nas = "first"\n'


def test_same_invocation_as_loads(tmp_path):
    again = '[[step]]\nsend = "S/h"\nidempotency_key = "k"\nexpect = { same_invocation_as = "first" }\n'
    scenario = load(write(tmp_path, FIRST + again))
    assert scenario.steps[1].requests[0].expect.same_invocation_as == "first"


@pytest.mark.parametrize(
    "text, fragments",
    [
        (FIRST + '[[step]]\nsend = "S/h"\nexpect = { same_invocation_as = "ghost" }\n', ["step 2", "ghost"]),
        ('[[step]]\nsend = "S/h"\nas = "me"\nexpect = { same_invocation_as = "me" }\n', ["step 1", "earlier step"]),
        (FIRST + '[[step]]\nsend = "S/h"\nexpect = { same_invocation_as = 3 }\n', ["'same_invocation_as'", "label"]),
        (FIRST + '[[step]]\nattach = "first"\nexpect = { same_invocation_as = "nope" }\n', ["(attach)", "nope"]),
    ],
)
def test_same_invocation_as_must_name_an_earlier_label(tmp_path, text, fragments):
    with pytest.raises(ScenarioError) as info:
        load(write(tmp_path, text))
    for fragment in fragments:
        assert fragment in str(info.value)
