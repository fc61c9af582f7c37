"""For tests: does a document conform to a definition of a published TM Forum specification (docs/standards)?

    assert_conforms(response.json(), TMF622, "ProductOrder")

The check is the reference JSON Schema validator of orderdesk_shared.published_specs (references resolved,
date-times checked); properties a definition does not list pass, as the specifications allow everywhere.
"""

from orderdesk_shared.published_specs import TMF620, TMF622, TMF645, PublishedSpec

__all__ = ["TMF620", "TMF622", "TMF645", "assert_conforms", "nonconformities"]


def nonconformities(document: object, spec_file: str, definition: str) -> list[str]:
    """Every place the document breaks the definition, as `path: reason` (empty when it conforms)."""
    return [f"{error.field}: {error.reason}" for error in PublishedSpec.named(spec_file).errors(definition, document)]


def assert_conforms(document: object, spec_file: str, definition: str) -> None:
    """Fail, naming every nonconformity, when the document does not conform to the definition."""
    problems = nonconformities(document, spec_file, definition)
    assert not problems, f"not a conformant {definition} ({spec_file}):\n" + "\n".join(problems)
