"""deploy/kubernetes/overlays/production/: the base's services on Kafka, Postgres and autoscaling that operators run.

Strimzi runs Kafka (strimzi_manifests.py); CloudNativePG runs Postgres (three instances) with a login role and a
schema per service; KEDA scales each consuming service on its consumer group's lag, up to as many replicas as its
topics have partitions. A Job provisions what no operator declares (revokes, search paths, migrations); an
OpenTelemetry Collector forwards the services' spans to Jaeger. Everything is derived from the same data the local
stack provisions from.
"""

from pathlib import Path
from typing import Any

from orderdesk_stack.kafka_access import KafkaPrincipal, principals, service_principals
from orderdesk_stack.manifests import (
    IMAGE,
    INGRESS_NAMESPACE_LABEL,
    PART_OF,
    SMTP_SUBMISSION_PORT,
    dump_documents,
    hardened_pod,
    kubernetes_dir,
    orderdesk_metadata,
    secret_ref,
)
from orderdesk_stack.provision import DATABASE
from orderdesk_stack.services import SERVICES, service_named
from orderdesk_stack.strimzi_manifests import (
    KAFKA_BOOTSTRAP,
    KAFKA_CA_DIR,
    KAFKA_CA_SECRET,
    kafka_cluster,
    kafka_login_secret,
    kafka_node_pool,
    kafka_topic,
    kafka_user,
)
from orderdesk_stack.topics import EVENT_TOPIC_PARTITIONS, partitions_by_topic

POSTGRES_CLUSTER = "orderdesk-postgres"
POSTGRES_INSTANCES = 3
POSTGRES_IMAGE = "ghcr.io/cloudnative-pg/postgresql:17"
# The Postgres superuser's Secret CloudNativePG writes when superuser access is on; only the provisioning Job reads it.
POSTGRES_SUPERUSER_SECRET = f"{POSTGRES_CLUSTER}-superuser"
# A consumer group lagging more than this many records per replica gets another replica.
LAG_PER_REPLICA = 100
# At least two replicas of every service, as the base runs them, so one can go while the other serves.
MIN_REPLICAS = 2
OTEL_COLLECTOR_IMAGE = "otel/opentelemetry-collector:0.114.0"
# The Jaeger release the local stack builds (its Go module's v1.75.0).
JAEGER_IMAGE = "jaegertracing/jaeger:2.12.0"
TRACING_USER = 10001  # both images' own unprivileged user
OTLP_GRPC_PORT, OTLP_HTTP_PORT, JAEGER_UI_PORT = 4317, 4318, 16686
CNPG_API = "postgresql.cnpg.io/v1"
KEDA_API = "keda.sh/v1alpha1"


def production_dir() -> Path:
    return kubernetes_dir() / "overlays" / "production"


def render_production() -> dict[Path, str]:
    """The production overlay's generated files by path."""
    by_file = {
        "infra.yaml": [_infra_settings()],
        "kafka.yaml": [kafka_cluster(), kafka_node_pool()],
        "kafka-topics.yaml": [
            kafka_topic(topic, partitions) for topic, partitions in partitions_by_topic(EVENT_TOPIC_PARTITIONS).items()
        ],
        "kafka-users.yaml": [kafka_user(principal) for principal in principals()],
        "postgres.yaml": [_postgres_cluster(), _postgres_database()],
        "autoscaling.yaml": [
            document for principal in service_principals() if principal.groups for document in _autoscaling(principal)
        ],
        "provision-job.yaml": [_provision_job(), _provision_network_policy()],
        "tracing.yaml": _tracing(),
        "deployment-patches.yaml": [_deployment_patch(service.name) for service in SERVICES],
    }
    return {production_dir() / name: dump_documents(documents) for name, documents in by_file.items()}


def database_login_secret(service: str) -> str:
    """The Secret of a service's role (keys `username`, `password`, and `url`, the service's database URL)."""
    return f"orderdesk-{service}-db"


def _infra_settings() -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": orderdesk_metadata("orderdesk-infra"),
        "data": {
            "kafka_bootstrap_servers": KAFKA_BOOTSTRAP,
            "otlp_endpoint": f"http://otel-collector:{OTLP_HTTP_PORT}",
            # The identity provider's, the tracing UI's, the mail relay's and the console's addresses are the
            # platform's: patch them in.
            "jwks_url": "https://identity.invalid/.well-known/jwks.json",
            "jwt_issuer": "https://identity.invalid/",
            "trace_url_template": "https://jaeger.invalid/trace/{trace_id}",
            "smtp_host": "smtp-relay.invalid",
            "smtp_port": str(SMTP_SUBMISSION_PORT),
            "mail_from": "OrderDesk <orderdesk@orderdesk.invalid>",
            "console_url": "https://orderdesk.invalid",
        },
    }


def _postgres_cluster() -> dict[str, Any]:
    roles = [
        {
            "name": service.role,
            "ensure": "present",
            "login": True,
            "superuser": False,
            "createdb": False,
            "createrole": False,
            "replication": False,
            "passwordSecret": {"name": database_login_secret(service.name)},
        }
        for service in SERVICES
    ]
    return {
        "apiVersion": CNPG_API,
        "kind": "Cluster",
        "metadata": orderdesk_metadata(POSTGRES_CLUSTER),
        "spec": {
            "instances": POSTGRES_INSTANCES,
            "imageName": POSTGRES_IMAGE,
            "enableSuperuserAccess": True,
            "bootstrap": {"initdb": {"database": DATABASE, "owner": DATABASE}},
            "storage": {"size": "50Gi"},
            "managed": {"roles": roles},
        },
    }


def _postgres_database() -> dict[str, Any]:
    """The services' database with each one's schema, owned by its role (as `orderdesk provision` makes them)."""
    return {
        "apiVersion": CNPG_API,
        "kind": "Database",
        "metadata": orderdesk_metadata(DATABASE),
        "spec": {
            "name": DATABASE,
            "owner": DATABASE,
            "cluster": {"name": POSTGRES_CLUSTER},
            "schemas": [{"name": service.schema, "owner": service.role} for service in SERVICES],
        },
    }


def _autoscaling(principal: KafkaPrincipal) -> list[dict[str, Any]]:
    """A consuming service's ScaledObject on its group's lag, with the login it checks the lag as."""
    partitions = partitions_by_topic(EVENT_TOPIC_PARTITIONS)
    authentication = f"{principal.name}-kafka"
    login = kafka_login_secret(principal.name)
    trigger_authentication = {
        "apiVersion": KEDA_API,
        "kind": "TriggerAuthentication",
        "metadata": orderdesk_metadata(authentication),
        "spec": {
            "secretTargetRef": [
                {"parameter": "username", "name": login, "key": "username"},
                {"parameter": "password", "name": login, "key": "password"},
                {"parameter": "ca", "name": KAFKA_CA_SECRET, "key": "ca.crt"},
            ]
        },
    }
    triggers = [
        {
            "type": "kafka",
            "metadata": {
                "bootstrapServers": KAFKA_BOOTSTRAP,
                "consumerGroup": principal.groups[0],
                "topic": topic,
                "lagThreshold": str(LAG_PER_REPLICA),
                "sasl": "scram_sha512",
                "tls": "enable",
            },
            "authenticationRef": {"name": authentication},
        }
        for topic in principal.reads
    ]
    scaled_object = {
        "apiVersion": KEDA_API,
        "kind": "ScaledObject",
        "metadata": orderdesk_metadata(principal.name),
        "spec": {
            "scaleTargetRef": {"name": principal.name},
            "minReplicaCount": MIN_REPLICAS,
            # A replica beyond its topics' partitions would get none of them.
            "maxReplicaCount": max(partitions[topic] for topic in principal.reads),
            "triggers": triggers,
        },
    }
    return [trigger_authentication, scaled_object]


def _deployment_patch(service: str) -> dict[str, Any]:
    """What a base Deployment needs here: Strimzi's CA to trust, and no replica count where KEDA sets it."""
    prefix = service_named(service).env_prefix
    container = {
        "name": service,
        "env": [{"name": f"{prefix}KAFKA_SSL_CAFILE", "value": f"{KAFKA_CA_DIR}/ca.crt"}],
        "volumeMounts": [{"name": "kafka-ca", "mountPath": KAFKA_CA_DIR, "readOnly": True}],
    }
    pod = {
        "containers": [container],
        "volumes": [
            {
                "name": "kafka-ca",
                "secret": {"secretName": KAFKA_CA_SECRET, "items": [{"key": "ca.crt", "path": "ca.crt"}]},
            }
        ],
    }
    spec: dict[str, Any] = {"template": {"spec": pod}}
    if any(principal.name == service and principal.groups for principal in service_principals()):
        # KEDA's autoscaler owns the count: an apply must not reset it.
        spec["replicas"] = None
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": service}, "spec": spec}


def _provision_job() -> dict[str, Any]:
    superuser_url = f"postgresql://postgres:$(POSTGRES_PASSWORD)@{POSTGRES_CLUSTER}-rw:5432/postgres"
    container = {
        "name": "provision",
        "image": IMAGE,
        "imagePullPolicy": "IfNotPresent",
        # Roles and schemas again (idempotent) for what CloudNativePG cannot declare: the revokes and each role's
        # search path; then every migration. Strimzi's KafkaTopics and KafkaUsers are the topics and ACLs.
        "command": ["orderdesk", "provision", "--no-topics"],
        "env": [
            {"name": "POSTGRES_PASSWORD", "valueFrom": secret_ref(POSTGRES_SUPERUSER_SECRET, "password")},
            # Defined after POSTGRES_PASSWORD, so Kubernetes substitutes it.
            {"name": "DATABASE_URL", "value": superuser_url},
            *(
                {
                    "name": f"{service.role.upper()}_DB_PASSWORD",
                    "valueFrom": secret_ref(database_login_secret(service.name), "password"),
                }
                for service in SERVICES
            ),
            {"name": "PYTHONDONTWRITEBYTECODE", "value": "1"},
        ],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    }
    pod = {**hardened_pod([container]), "restartPolicy": "OnFailure"}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": orderdesk_metadata("orderdesk-provision"),
        "spec": {
            "backoffLimit": 6,
            # Gone a while after it finished, so the next release's apply runs it again with the new image.
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": {**PART_OF, "app.kubernetes.io/name": "orderdesk-provision"}},
                "spec": pod,
            },
        },
    }


_DNS_EGRESS = {
    "to": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}


def _network_policy(name: str, *, ingress: list[dict[str, Any]], egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": orderdesk_metadata(name),
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": ingress,
            "egress": [_DNS_EGRESS, *egress],
        },
    }


def _provision_network_policy() -> dict[str, Any]:
    postgres = {"podSelector": {"matchLabels": {"cnpg.io/cluster": POSTGRES_CLUSTER}}}
    return _network_policy(
        "orderdesk-provision", ingress=[], egress=[{"to": [postgres], "ports": [{"protocol": "TCP", "port": 5432}]}]
    )


_COLLECTOR_CONFIG = f"""\
receivers:
  otlp:
    protocols:
      grpc: {{endpoint: "0.0.0.0:{OTLP_GRPC_PORT}"}}
      http: {{endpoint: "0.0.0.0:{OTLP_HTTP_PORT}"}}
processors:
  batch: {{}}
exporters:
  otlp:
    endpoint: "jaeger:{OTLP_GRPC_PORT}"
    tls: {{insecure: true}}
service:
  pipelines:
    traces: {{receivers: [otlp], processors: [batch], exporters: [otlp]}}
"""


def _tracing_deployment(
    name: str, image: str, ports: dict[str, int], *, volumes: tuple[dict[str, Any], ...] = (), **container: Any
) -> dict[str, Any]:
    selector = {"matchLabels": {"app.kubernetes.io/name": name}}
    pod = hardened_pod(
        [
            {
                "name": name,
                "image": image,
                "ports": [{"name": port_name, "containerPort": port} for port_name, port in ports.items()],
                "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "1Gi"}},
                **container,
            }
        ],
        volumes=volumes,
        user=TRACING_USER,
    )
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": orderdesk_metadata(name, **{"app.kubernetes.io/name": name}),
        "spec": {
            "replicas": 1,
            "selector": selector,
            "template": {"metadata": {"labels": {**PART_OF, "app.kubernetes.io/name": name}}, "spec": pod},
        },
    }


def _tracing_service(name: str, ports: dict[str, int]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": orderdesk_metadata(name, **{"app.kubernetes.io/name": name}),
        "spec": {
            "selector": {"app.kubernetes.io/name": name},
            "ports": [{"name": port_name, "port": port, "targetPort": port_name} for port_name, port in ports.items()],
        },
    }


def _tracing() -> list[dict[str, Any]]:
    """The OpenTelemetry Collector the services export to, and Jaeger (in memory: a platform picks its storage)."""
    otlp = {"otlp-grpc": OTLP_GRPC_PORT, "otlp-http": OTLP_HTTP_PORT}
    collector_config = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": orderdesk_metadata("otel-collector"),
        "data": {"config.yaml": _COLLECTOR_CONFIG},
    }
    collector = _tracing_deployment(
        "otel-collector",
        OTEL_COLLECTOR_IMAGE,
        otlp,
        args=["--config=/etc/otel-collector/config.yaml"],
        volumeMounts=[{"name": "config", "mountPath": "/etc/otel-collector", "readOnly": True}],
        volumes=({"name": "config", "configMap": {"name": "otel-collector"}},),
    )
    jaeger_ports = {"otlp-grpc": OTLP_GRPC_PORT, "ui": JAEGER_UI_PORT}
    jaeger = _tracing_deployment("jaeger", JAEGER_IMAGE, jaeger_ports)
    orderdesk_pods = {"podSelector": {"matchLabels": PART_OF}}
    collector_pods = {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "otel-collector"}}}
    ui_callers = {"namespaceSelector": {"matchLabels": INGRESS_NAMESPACE_LABEL}}
    return [
        collector_config,
        collector,
        _tracing_service("otel-collector", otlp),
        _network_policy(
            "otel-collector",
            ingress=[
                {"from": [orderdesk_pods], "ports": [{"protocol": "TCP", "port": port} for port in otlp.values()]}
            ],
            egress=[
                {
                    "to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "jaeger"}}}],
                    "ports": [{"protocol": "TCP", "port": OTLP_GRPC_PORT}],
                }
            ],
        ),
        jaeger,
        _tracing_service("jaeger", jaeger_ports),
        _network_policy(
            "jaeger",
            ingress=[
                {"from": [collector_pods], "ports": [{"protocol": "TCP", "port": OTLP_GRPC_PORT}]},
                {"from": [ui_callers], "ports": [{"protocol": "TCP", "port": JAEGER_UI_PORT}]},
            ],
            egress=[],
        ),
    ]
