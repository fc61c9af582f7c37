"""The live console serves the AsyncAPI document of the topics to anyone, and links it in its navigation."""

import re

import httpx
import pytest
import yaml

from console.pages import TOKEN_COOKIE
from orderdesk_shared.auth import Role
from orderdesk_stack.asyncapi import asyncapi_path
from orderdesk_stack.topics import catalogue_topics

pytestmark = pytest.mark.e2e


async def test_the_console_serves_the_asyncapi_document_of_every_topic_without_a_token(stack):
    async with httpx.AsyncClient(base_url=stack.service_url("console"), timeout=30.0) as client:
        response = await client.get("/asyncapi.yaml")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == "application/yaml"
    assert response.content == asyncapi_path().read_bytes()
    document = yaml.safe_load(response.text)
    assert document["asyncapi"] == "3.0.0"
    assert sorted(channel["address"] for channel in document["channels"].values()) == sorted(catalogue_topics())


async def test_a_signed_in_person_finds_the_event_contract_in_the_navigation(stack):
    token = stack.token_signer.mint("pat", [Role.SALES_REP])
    async with httpx.AsyncClient(
        base_url=stack.service_url("console"), cookies={TOKEN_COOKIE: token}, timeout=30.0
    ) as browser:
        page = await browser.get("/")
        navigation = re.search(r"<nav>.*?</nav>", page.text, re.S).group(0)
        [link] = re.findall(r'<a href="([^"]+)"[^>]*>Event contract</a>', navigation)
        assert (await browser.get(link)).content == asyncapi_path().read_bytes()
