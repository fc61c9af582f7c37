import ssl

import pytest
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from orderdesk_shared.kafka_connection import KafkaConnection
from orderdesk_shared.settings import ServiceSettings


class IntakeLikeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_")
    service_name: str = "intake"
    database_url: str = "postgresql+asyncpg://x"


def test_a_service_reads_its_own_kafka_login_from_its_prefixed_variables(monkeypatch):
    login = KafkaConnection(bootstrap_servers="kafka-1:9096").as_login("intake", "s3cret")
    for name, value in login.env("INTAKE_KAFKA_").items():
        monkeypatch.setenv(name, value)
    settings = IntakeLikeSettings()
    assert settings.kafka == login
    assert settings.kafka.client_options() == {
        "bootstrap_servers": "kafka-1:9096",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "intake",
        "sasl_plain_password": "s3cret",
        "metadata_max_age_ms": 15_000,
    }
    assert "s3cret" not in repr(settings), "the password stays out of logs and tracebacks"


def test_sasl_without_a_password_is_refused_at_start():
    with pytest.raises(ValidationError, match="needs a username and a password"):
        IntakeLikeSettings(kafka_security_protocol="SASL_SSL", kafka_username="intake")


def test_tls_verifies_the_brokers_against_the_given_ca(tmp_path):
    options = KafkaConnection(security_protocol="SSL").client_options()
    context = options["ssl_context"]
    assert (context.verify_mode, context.check_hostname) == (ssl.CERT_REQUIRED, True)
    assert "sasl_plain_username" not in options

    with pytest.raises(FileNotFoundError):
        KafkaConnection(security_protocol="SSL", ssl_cafile=str(tmp_path / "missing-ca.pem")).client_options()


def test_a_login_on_a_tls_listener_stays_on_tls():
    assert KafkaConnection(security_protocol="SSL").as_login("crm", "pw").security_protocol == "SASL_SSL"
