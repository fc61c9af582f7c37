"""The Kubernetes manifests are generated, valid against the Kubernetes schemas offline, and hardened."""

import re

import pytest
import yaml
from kubernetes_validate.utils import latest_version, validate

from orderdesk_stack.manifests import manifests_path, render_manifests
from orderdesk_stack.paths import repo_root
from orderdesk_stack.services import SERVICES


def _documents() -> list[dict]:
    return list(yaml.safe_load_all(manifests_path().read_text()))


def _of_kind(kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in _documents() if document["kind"] == kind}


def test_the_committed_manifests_are_generated_from_the_services():
    assert manifests_path().read_text() == render_manifests(), (
        "deploy/kubernetes/orderdesk.yaml is stale: run `uv run orderdesk manifests`"
    )


@pytest.mark.parametrize("document", _documents(), ids=lambda d: f"{d['kind']}/{d['metadata']['name']}")
def test_every_manifest_validates_against_the_kubernetes_schemas(document):
    validate(document, latest_version(), strict=True)


def test_every_service_runs_hardened_with_probes_that_time_out():
    deployments = _of_kind("Deployment")
    assert set(deployments) == {service.name for service in SERVICES}
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in pod["containers"]:
            hardening = container["securityContext"]
            assert hardening["allowPrivilegeEscalation"] is False, name
            assert hardening["readOnlyRootFilesystem"] is True, name
            assert hardening["capabilities"]["drop"] == ["ALL"], name
            assert ":" not in container["image"], f"{name} names a tag; kustomization.yaml pins the digest"
            for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
                assert container[probe]["timeoutSeconds"] >= 1, (name, probe)


def test_every_service_has_a_disruption_budget_and_a_network_policy_behind_a_default_deny():
    budgets, policies = _of_kind("PodDisruptionBudget"), _of_kind("NetworkPolicy")
    for service in SERVICES:
        assert budgets[service.name]["spec"]["minAvailable"] >= 1
        assert set(policies[service.name]["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    deny_all = policies["orderdesk-default-deny"]["spec"]
    assert "ingress" not in deny_all and "egress" not in deny_all


def test_the_image_is_pinned_by_digest():
    kustomization = yaml.safe_load((repo_root() / "deploy" / "kubernetes" / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    assert image["name"] == "orderdesk"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", image["digest"])
