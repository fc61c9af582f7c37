"""The base of every event model: frozen, camelCase on the wire, tolerant of unknown fields."""

from abc import abstractmethod
from typing import ClassVar

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class WireModel(BaseModel):
    """A frozen model serialised with camelCase names; readers ignore fields they do not know."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        alias_generator=to_camel,
        populate_by_name=True,
        ser_json_timedelta="iso8601",
    )

    def to_json_bytes(self) -> bytes:
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()


class Fact(WireModel):
    """Anything recorded on a topic. `event_type` is the CloudEvents type, `topic` where it is recorded,
    `subject` what it is about (also the Kafka key)."""

    event_type: ClassVar[str]
    topic: ClassVar[str]
    # An announcement of what is in force (a roster, a catalogue), not one step of a flow: its topic keeps each
    # subject's latest record for good (a compacted topic), so a consumer that starts reading after any retention
    # would have run out still hears what is in force.
    announces_state: ClassVar[bool] = False

    @property
    @abstractmethod
    def subject(self) -> str:
        """What the fact is about; every kind of fact says."""


class Event(Fact):
    """A fact about one order."""

    order_id: str
    order_version: int

    @property
    def subject(self) -> str:
        """The order id."""
        return self.order_id
