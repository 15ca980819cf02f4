import json

from components.aws.kubeconfig import render_kubeconfig


def test_kubeconfig_authenticates_with_aws_eks_get_token_and_holds_no_token():
    text = render_kubeconfig(
        cluster_name="llm-dev",
        endpoint="https://ABC.gr7.us-east-1.eks.amazonaws.com",
        certificate_authority="Q0E=",
        region="us-east-1",
    )
    config = json.loads(text)
    (cluster,) = config["clusters"]
    assert cluster["cluster"] == {
        "server": "https://ABC.gr7.us-east-1.eks.amazonaws.com",
        "certificate-authority-data": "Q0E=",
    }
    (user,) = config["users"]
    exec_ = user["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:4] == ["eks", "get-token", "--cluster-name", "llm-dev"]
    assert exec_["args"][4:6] == ["--region", "us-east-1"]
    assert exec_["apiVersion"] == "client.authentication.k8s.io/v1beta1"
    assert "token" not in user["user"]
    assert config["current-context"] == "llm-dev"
