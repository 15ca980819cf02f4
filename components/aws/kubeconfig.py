"""A kubeconfig for an EKS cluster that authenticates with `aws eks get-token`.

No token is ever stored: kubectl (and the Pulumi Kubernetes provider) run the AWS CLI
for a short-lived token, with whatever AWS credentials the caller has.
"""

import json
from typing import Any


def render_kubeconfig(
    *, cluster_name: str, endpoint: str, certificate_authority: str, region: str
) -> str:
    """The kubeconfig as JSON (valid YAML), one cluster, one user, one context."""
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": cluster_name,
                "cluster": {
                    "server": endpoint,
                    "certificate-authority-data": certificate_authority,
                },
            }
        ],
        "users": [
            {
                "name": cluster_name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": "aws",
                        "args": [
                            "eks",
                            "get-token",
                            "--cluster-name",
                            cluster_name,
                            "--region",
                            region,
                            "--output",
                            "json",
                        ],
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [
            {"name": cluster_name, "context": {"cluster": cluster_name, "user": cluster_name}}
        ],
        "current-context": cluster_name,
    }
    return json.dumps(config, indent=2, sort_keys=True)
