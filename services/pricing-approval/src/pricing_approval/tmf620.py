"""The catalogue as TMF620 Product Catalog v4 resources: the catalog, its categories, product offerings, their
prices and product specifications.

There is one catalog, the catalogue in force; its categories are the product families; each offering has a
product specification of its own (same id) describing the characteristics the offering lets an order choose.
An offering lists its prices as references (id, href, name, priceType), TMF620's way; each price is a resource
of its own. `requiresServiceLocation` and `icb` are this catalogue's extensions, named in `@type`. Every
resource conforms to its definition in the published specification (docs/standards); its hrefs are absolute URLs
under `root` (the API's root as the client reached it), since TMF620 v4.1.0 gives every `href` `format: uri`.
"""

from decimal import Decimal
from typing import Any

from orderdesk_shared.product_catalogue import Catalogue, CharacteristicValueUse, ProductOffering, ProductOfferingPrice
from orderdesk_shared.published_specs import TMF620, PublishedSpec

API_ROOT = "/tmf-api/productCatalogManagement/v4"
CATALOG_ID = "orderdesk"
# This catalogue's attributes beyond TMF620's, by resource: they can be filtered on and asked for too.
EXTENSIONS = {
    "ProductOffering": {"requiresServiceLocation"},
    "ProductOfferingPrice": {"icb"},
}


def attributes(definition: str) -> frozenset[str]:
    """The attributes a resource of this TMF620 definition can have here: the specification's and ours."""
    return PublishedSpec.named(TMF620).properties(definition) | EXTENSIONS.get(definition, set())


def catalog_resource(catalogue: Catalogue, *, root: str) -> dict[str, Any]:
    return {
        "id": CATALOG_ID,
        "href": f"{root}/catalog/{CATALOG_ID}",
        "name": "OrderDesk product catalogue",
        "catalogType": "productCatalog",
        "lifecycleStatus": "Active",
        "version": catalogue.version,
        "category": [_category_ref(family, catalogue, root=root) for family in families(catalogue)],
        "@type": "Catalog",
    }


def families(catalogue: Catalogue) -> list[str]:
    """The product families the catalogue's offerings belong to, in the order they first appear."""
    return list(dict.fromkeys(offering.family for offering in catalogue.product_offering))


def category_resource(family: str, catalogue: Catalogue, *, root: str) -> dict[str, Any]:
    offerings = [offering for offering in catalogue.product_offering if offering.family == family]
    return {
        "id": family,
        "href": f"{root}/category/{family}",
        "name": family,
        "isRoot": True,
        "lifecycleStatus": "Active",
        "version": catalogue.version,
        "productOffering": [_offering_ref(offering, root=root) for offering in offerings],
        "@type": "Category",
    }


def offering_resource(offering: ProductOffering, *, catalogue: Catalogue, root: str) -> dict[str, Any]:
    document = _numbers(
        offering.model_dump(by_alias=True, exclude_none=True, exclude={"product_offering_price", "category"})
    )
    return document | {
        "href": f"{root}/productOffering/{offering.id}",
        "version": catalogue.version,
        "isBundle": False,
        "isSellable": offering.active,
        "category": [_category_ref(offering.family, catalogue, root=root)],
        "productSpecification": {
            "id": offering.id,
            "href": f"{root}/productSpecification/{offering.id}",
            "name": offering.name,
            "version": catalogue.version,
            "@referredType": "ProductSpecification",
        },
        "productOfferingPrice": [
            {
                "id": price.id,
                "href": f"{root}/productOfferingPrice/{price.id}",
                "name": price.name,
                "priceType": price.price_type,
                "@referredType": "ProductOfferingPrice",
            }
            for price in offering.product_offering_price
        ],
        "@type": "OrderDeskProductOffering",
        "@baseType": "ProductOffering",
    }


def price_resource(
    price: ProductOfferingPrice, *, offering: ProductOffering, catalogue: Catalogue, root: str
) -> dict[str, Any]:
    return _numbers(price.model_dump(by_alias=True, exclude_none=True)) | {
        "href": f"{root}/productOfferingPrice/{price.id}",
        "version": catalogue.version,
        "isBundle": False,
        "lifecycleStatus": offering.lifecycle_status,
        "@type": "OrderDeskProductOfferingPrice",
        "@baseType": "ProductOfferingPrice",
    }


def specification_resource(offering: ProductOffering, *, catalogue: Catalogue, root: str) -> dict[str, Any]:
    """What an order item may say about a product of this offering: its characteristics and their values."""
    return {
        "id": offering.id,
        "href": f"{root}/productSpecification/{offering.id}",
        "name": offering.name,
        "lifecycleStatus": offering.lifecycle_status,
        "version": catalogue.version,
        "isBundle": False,
        "productSpecCharacteristic": [_characteristic(use) for use in offering.prod_spec_char_value_use],
        "@type": "ProductSpecification",
    }


def prices_by_id(catalogue: Catalogue) -> dict[str, tuple[ProductOfferingPrice, ProductOffering]]:
    """Every price component with the offering it belongs to (price ids are unique in the catalogue)."""
    return {
        price.id: (price, offering)
        for offering in catalogue.product_offering
        for price in offering.product_offering_price
    }


def catalogs(catalogue: Catalogue, *, root: str) -> list[dict[str, Any]]:
    return [catalog_resource(catalogue, root=root)]


def catalog_by_id(catalogue: Catalogue, catalog_id: str, *, root: str) -> dict[str, Any] | None:
    return catalog_resource(catalogue, root=root) if catalog_id == CATALOG_ID else None


def categories(catalogue: Catalogue, *, root: str) -> list[dict[str, Any]]:
    return [category_resource(family, catalogue, root=root) for family in families(catalogue)]


def category_by_id(catalogue: Catalogue, family: str, *, root: str) -> dict[str, Any] | None:
    return category_resource(family, catalogue, root=root) if family in families(catalogue) else None


def offerings(catalogue: Catalogue, *, root: str) -> list[dict[str, Any]]:
    return [offering_resource(o, catalogue=catalogue, root=root) for o in catalogue.product_offering]


def offering_by_id(catalogue: Catalogue, offering_id: str, *, root: str) -> dict[str, Any] | None:
    offering = catalogue.offerings.get(offering_id)
    return offering_resource(offering, catalogue=catalogue, root=root) if offering else None


def prices(catalogue: Catalogue, *, root: str) -> list[dict[str, Any]]:
    return [
        price_resource(price, offering=offering, catalogue=catalogue, root=root)
        for price, offering in prices_by_id(catalogue).values()
    ]


def price_by_id(catalogue: Catalogue, price_id: str, *, root: str) -> dict[str, Any] | None:
    found = prices_by_id(catalogue).get(price_id)
    if found is None:
        return None
    price, offering = found
    return price_resource(price, offering=offering, catalogue=catalogue, root=root)


def specifications(catalogue: Catalogue, *, root: str) -> list[dict[str, Any]]:
    return [specification_resource(o, catalogue=catalogue, root=root) for o in catalogue.product_offering]


def specification_by_id(catalogue: Catalogue, specification_id: str, *, root: str) -> dict[str, Any] | None:
    offering = catalogue.offerings.get(specification_id)
    return specification_resource(offering, catalogue=catalogue, root=root) if offering else None


def _characteristic(use: CharacteristicValueUse) -> dict[str, Any]:
    characteristic: dict[str, Any] = {
        "name": use.name,
        "configurable": len(use.product_spec_characteristic_value) > 1,
        "minCardinality": 0,  # an item may leave it out: it then gets the default value
        "maxCardinality": 1,
        "productSpecCharacteristicValue": [
            _numbers(value.model_dump(by_alias=True)) for value in use.product_spec_characteristic_value
        ],
    }
    if use.value_type:
        characteristic["valueType"] = use.value_type
    return characteristic


def _category_ref(family: str, catalogue: Catalogue, *, root: str) -> dict[str, Any]:
    return {
        "id": family,
        "href": f"{root}/category/{family}",
        "name": family,
        "version": catalogue.version,
        "@referredType": "Category",
    }


def _offering_ref(offering: ProductOffering, *, root: str) -> dict[str, Any]:
    return {
        "id": offering.id,
        "href": f"{root}/productOffering/{offering.id}",
        "name": offering.name,
        "@referredType": "ProductOffering",
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
