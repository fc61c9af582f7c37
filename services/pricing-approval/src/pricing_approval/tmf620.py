"""The catalogue as TMF620 Product Catalog v4 resources: productOffering and productOfferingPrice.

An offering lists its prices as references (id, href, name, priceType), TMF620's way; each price is a
resource of its own. `requiresServiceLocation` and `icb` are this catalogue's extensions, named in `@type`.
"""

from decimal import Decimal
from typing import Any

from pricing_approval.catalogue import Catalogue, ProductOffering, ProductOfferingPrice

API_ROOT = "/tmf-api/productCatalogManagement/v4"


def offering_resource(offering: ProductOffering, *, catalogue: Catalogue) -> dict[str, Any]:
    document = _numbers(offering.model_dump(by_alias=True, exclude_none=True, exclude={"product_offering_price"}))
    return document | {
        "href": f"{API_ROOT}/productOffering/{offering.id}",
        "version": catalogue.version,
        "isBundle": False,
        "isSellable": offering.active,
        "productOfferingPrice": [
            {
                "id": price.id,
                "href": f"{API_ROOT}/productOfferingPrice/{price.id}",
                "name": price.name,
                "priceType": price.price_type,
                "@referredType": "ProductOfferingPrice",
            }
            for price in offering.product_offering_price
        ],
        "@type": "OrderDeskProductOffering",
        "@baseType": "ProductOffering",
    }


def price_resource(price: ProductOfferingPrice, *, offering: ProductOffering, catalogue: Catalogue) -> dict[str, Any]:
    return _numbers(price.model_dump(by_alias=True, exclude_none=True)) | {
        "href": f"{API_ROOT}/productOfferingPrice/{price.id}",
        "version": catalogue.version,
        "isBundle": False,
        "lifecycleStatus": offering.lifecycle_status,
        "@type": "OrderDeskProductOfferingPrice",
        "@baseType": "ProductOfferingPrice",
    }


def prices_by_id(catalogue: Catalogue) -> dict[str, tuple[ProductOfferingPrice, ProductOffering]]:
    """Every price component with the offering it belongs to (price ids are unique in the catalogue)."""
    return {
        price.id: (price, offering)
        for offering in catalogue.product_offering
        for price in offering.product_offering_price
    }


def _numbers(document: Any) -> Any:
    """TMF620 amounts and percentages are JSON numbers: exact decimals become numbers on the way out."""
    if isinstance(document, Decimal):
        return int(document) if document == document.to_integral_value() else float(document)
    if isinstance(document, dict):
        return {key: _numbers(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [_numbers(value) for value in document]
    return document
