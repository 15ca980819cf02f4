"""The stack's deploy path, the same on every cloud: the DeployPath record (its runner, if
any, is a cloud's own child of it)."""

from components.deploy_path import DeployPath
from infra.config import StackConfig


def deploy_path(config: StackConfig) -> DeployPath:
    return DeployPath(
        "deploy", config.deploy.runner, tuple(str(c) for c in config.deploy.runner_cidrs)
    )
