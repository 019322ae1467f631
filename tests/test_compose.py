"""docker/compose.yaml takes every password from the environment and publishes none."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

COMPOSE = Path(__file__).resolve().parents[1] / "docker" / "compose.yaml"


def test_every_password_is_required_from_the_environment() -> None:
    text = COMPOSE.read_text()
    references = re.findall(r"\$\{([A-Z_]*PASSWORD[A-Z_]*)([^}]*)\}", text)
    assert {name for name, _ in references} == {
        "POSTGRES_PASSWORD",
        "REDIS_PASSWORD",
        "FLOWER_PASSWORD",
    }
    for name, rest in references:
        assert rest.startswith(":?"), f"${{{name}{rest}}} must fail when {name} is unset"
    services = yaml.safe_load(text)["services"]
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${")
    assert "--requirepass" in services["redis"]["command"]
    assert "FLOWER_BASIC_AUTH" in services["flower"]["environment"]


def test_published_ports_listen_on_loopback_unless_told_otherwise() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("${FARM_PUBLISH_ADDR:-127.0.0.1}:"), (name, port)
