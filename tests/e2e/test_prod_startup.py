"""The registry in prod mode refuses to start on a database that still holds the demo logins
(their passwords are their usernames, printed in the README), and says why; with them gone,
the same database and settings start."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from shared.mongo import connect
from tests.e2e.prod_mode import broker_account, prod_env, vhost_of_its_own
from tests.support.platform import Platform, ServiceProcess
from tests.support.servers import InfraEnv

DEMO_LOGINS = ["demo-admin", "demo-head", "demo-police", "demo-teacher"]


def _registry(workdir: Path, infra: InfraEnv, vhost: str, log: str) -> ServiceProcess:
    """The registry as the test platform would run it (test mode, demo data), not started."""
    template = Platform.create(infra, vhost, workdir).services["grid_registry"]
    return ServiceProcess(template.name, template.port, template.env, workdir / f"{log}.log")


async def test_prod_mode_refuses_a_database_holding_demo_accounts(tmp_path: Path) -> None:
    infra = InfraEnv.from_environment()
    with vhost_of_its_own(infra) as vhost, broker_account(infra, vhost) as amqp_url:
        seeded = _registry(tmp_path, infra, vhost, "test-mode")
        database = seeded.env["GRID_REGISTRY_MONGO_DB"]
        mongo = connect(infra.mongo_url, app_name="tests")
        try:
            # Demo data seeded in test mode, as `make run` or a test platform leaves it.
            seeded.start()
            try:
                await seeded.wait_ready()
            finally:
                seeded.stop()
            accounts = mongo[database]["accounts"]
            assert sorted(await accounts.distinct("_id")) == DEMO_LOGINS

            # The same database in prod mode: start-up fails, naming the problem.
            refused = _registry(tmp_path, infra, vhost, "prod-refused")
            refused.env = prod_env(
                {**seeded.env, "GRID_REGISTRY_PORT": str(refused.port)}, amqp_url
            )
            refused.start()
            assert refused.process is not None
            try:
                code = refused.process.wait(timeout=90)
            except subprocess.TimeoutExpired:
                refused.stop()
                pytest.fail(f"the registry started on demo data:\n{refused.log_tail()}")
            assert code != 0
            lines = [json.loads(line) for line in refused.log_path.read_text().splitlines()]
            (refusal,) = [line for line in lines if line["level"] == "critical"]
            assert refusal["message"].startswith("refusing to start in prod mode: database ")
            assert f"holds the demo accounts {', '.join(DEMO_LOGINS)}," in refusal["message"]

            # With the demo logins deleted, the same settings start.
            await accounts.delete_many({"_id": {"$in": DEMO_LOGINS}})
            cleaned = _registry(tmp_path, infra, vhost, "prod-cleaned")
            cleaned.env = prod_env(
                {**seeded.env, "GRID_REGISTRY_PORT": str(cleaned.port)}, amqp_url
            )
            cleaned.start()
            try:
                await cleaned.wait_ready()
            finally:
                cleaned.stop()
        finally:
            await mongo.drop_database(database)
            await mongo.close()
