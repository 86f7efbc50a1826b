"""A second version of the code, served beside the sandbox's service and registered as a new
deployment of the same services (what a user's fix is once deployed). The first deployment stays:
invocations pinned to it keep it until resumed elsewhere; new ones go to the latest.

    with ExtraDeployment(sandbox, target) as fixed:
        fixed.deployment_id, fixed.service.url
"""

from __future__ import annotations

from restate_play.errors import PlayError
from restate_play.loopback_http import loopback_client
from restate_play.sandbox.ports import free_ports
from restate_play.sandbox.service import ServiceProcess
from restate_play.sandbox.target import Target


class ExtraDeployment:
    def __init__(self, sandbox, target: Target, label: str = "v2"):
        assert sandbox.service is not None, "start the sandbox first"
        self.sandbox = sandbox
        self.label = label
        port = free_ports(1)[0]
        log = sandbox.data_dir / f"service-{label}.log"
        # Same environment as the first process: the same ledger, ingress and time scale.
        self.service = ServiceProcess(
            f"{target.name}-{label}", port, log, dict(sandbox.service.env), (), target.service_args()
        )
        self.deployment_id: str | None = None

    def __enter__(self) -> ExtraDeployment:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> str:
        self.service.start()
        self.service.wait_healthy()
        with loopback_client(timeout=30.0) as http:
            resp = http.post(f"{self.sandbox.admin_url}/deployments", json={"uri": self.service.url, "force": True})
        if resp.status_code not in (200, 201):
            raise PlayError(f"Registering {self.service.url} failed ({resp.status_code}): {resp.text[:300]}")
        self.deployment_id = resp.json().get("id")
        return self.deployment_id or ""

    def stop(self) -> None:
        self.service.stop()
