"""The event contract, served beside the pages."""

from fastapi.responses import Response

from console.pages.common import page_router
from orderdesk_shared.events.catalogue import ASYNCAPI_DOCUMENT

ASYNCAPI_MEDIA_TYPE = "application/yaml"  # RFC 9512

router = page_router()


@router.get("/asyncapi.yaml")
async def asyncapi_document() -> Response:
    """The AsyncAPI document of every topic. Public, like each service's OpenAPI at /openapi.json: it is the contract
    the systems around OrderDesk build their producers and consumers to, and holds no data."""
    return Response(ASYNCAPI_DOCUMENT.read_bytes(), media_type=ASYNCAPI_MEDIA_TYPE)
