"""A kubeconfig for a GKE cluster that authenticates with `gke-gcloud-auth-plugin`.

No token is ever stored: kubectl (and the Pulumi Kubernetes provider) run the plugin for a
short-lived token from whatever Google credentials the caller has (gcloud's, or
Application Default Credentials), exactly as `gcloud container clusters get-credentials`
sets it up.
"""

import json
from typing import Any

AUTH_PLUGIN = "gke-gcloud-auth-plugin"
INSTALL_HINT = (
    "Install gke-gcloud-auth-plugin for use with kubectl by following "
    "https://cloud.google.com/kubernetes-engine/docs/how-to/cluster-access-for-kubectl"
    "#install_plugin"
)


def context_name(project: str, location: str, cluster_name: str) -> str:
    """The name gcloud gives the cluster, user and context: `gke_<project>_<location>_<name>`."""
    return f"gke_{project}_{location}_{cluster_name}"


def render_kubeconfig(
    *, project: str, location: str, cluster_name: str, endpoint: str, certificate_authority: str
) -> str:
    """The kubeconfig as JSON (valid YAML), one cluster, one user, one context.
    `endpoint` is the address GKE reports (an IP, or the DNS endpoint's name),
    `certificate_authority` its base64 CA; empty for the DNS endpoint, whose certificate is
    publicly trusted."""
    name = context_name(project, location, cluster_name)
    server: dict[str, str] = {"server": f"https://{endpoint}"}
    if certificate_authority:
        server["certificate-authority-data"] = certificate_authority
    config: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": name,
                "cluster": server,
            }
        ],
        "users": [
            {
                "name": name,
                "user": {
                    "exec": {
                        "apiVersion": "client.authentication.k8s.io/v1beta1",
                        "command": AUTH_PLUGIN,
                        "installHint": INSTALL_HINT,
                        "provideClusterInfo": True,
                        "interactiveMode": "Never",
                    }
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
        "current-context": name,
    }
    return json.dumps(config, indent=2, sort_keys=True)
