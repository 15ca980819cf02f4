import json

import yaml

from components.gcp.kubeconfig import render_kubeconfig


def test_kubeconfig_authenticates_with_the_gke_auth_plugin_and_holds_no_token():
    text = render_kubeconfig(
        project="llm-infra-prod",
        location="us-central1",
        cluster_name="llm-infra-gcp-prod",
        endpoint="172.16.0.2",
        certificate_authority="Q0E=",
    )
    config = json.loads(text)
    assert yaml.safe_load(text) == config  # kubectl reads it as YAML
    name = "gke_llm-infra-prod_us-central1_llm-infra-gcp-prod"
    (cluster,) = config["clusters"]
    assert cluster == {
        "name": name,
        "cluster": {"server": "https://172.16.0.2", "certificate-authority-data": "Q0E="},
    }
    (user,) = config["users"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "gke-gcloud-auth-plugin"
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert exec_["provideClusterInfo"] is True
    assert "args" not in exec_
    assert set(user["user"]) == {"exec"}  # no token, no client certificate
    assert config["contexts"] == [{"name": name, "context": {"cluster": name, "user": name}}]
    assert config["current-context"] == name


def test_a_dns_endpoint_kubeconfig_names_no_certificate_authority():
    text = render_kubeconfig(
        project="p",
        location="us-central1",
        cluster_name="c",
        endpoint="gke-0123.us-central1.gke.goog",
        certificate_authority="",
    )
    (cluster,) = json.loads(text)["clusters"]
    assert cluster["cluster"] == {"server": "https://gke-0123.us-central1.gke.goog"}
