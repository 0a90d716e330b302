"""GeoReport v2's shapes, field for field as the specification names them (http://wiki.open311.org/GeoReport_v2),
so that an existing client reads them unchanged. The same Structs are written as JSON and as XML."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Text = Annotated[str, msgspec.Meta(max_length=2000)]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class Endpoint(msgspec.Struct, frozen=True):
    specification: str
    url: str
    changeset: datetime
    type: str
    formats: list[str]


class Discovery(msgspec.Struct, frozen=True):
    changeset: datetime
    contact: str
    key_service: str
    endpoints: list[Endpoint]


class Service(msgspec.Struct, frozen=True):
    service_code: str
    service_name: str
    description: str
    # True when the service has attributes: GET services/{service_code} lists them.
    metadata: bool
    type: str
    keywords: str
    group: str


class AttributeValueOut(msgspec.Struct, frozen=True):
    key: str
    name: str


class Attribute(msgspec.Struct, frozen=True):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    values: list[AttributeValueOut]


class ServiceDefinition(msgspec.Struct, frozen=True):
    service_code: str
    attributes: list[Attribute]


class ServiceRequestIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """POST requests, as its form fields arrive (attribute[...] gathered into `attributes`)."""

    service_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    api_key: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    jurisdiction_id: Short | None = None
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)] | None = None
    long: Annotated[float, msgspec.Meta(ge=-180, le=180)] | None = None
    address_string: Short | None = None
    address_id: Short | None = None
    description: Text | None = None
    media_url: Annotated[str, msgspec.Meta(max_length=2048)] | None = None
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    first_name: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    last_name: Annotated[str, msgspec.Meta(max_length=50)] | None = None
    device_id: Short | None = None
    account_id: Short | None = None
    attributes: dict[str, list[Short]] = {}


class Created(msgspec.Struct, frozen=True):
    service_request_id: str
    service_notice: str | None
    account_id: str | None


class ServiceRequestOut(msgspec.Struct, frozen=True):
    """A request for anyone to read: no phone, e-mail or name; the point to ~10 m; the stripped photo."""

    service_request_id: str
    status: str
    status_notes: str | None
    service_name: str | None
    service_code: str
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: datetime
    updated_datetime: datetime
    expected_datetime: datetime | None
    address: str | None
    address_id: str | None
    zipcode: str | None
    lat: float
    long: float
    media_url: str | None


class Open311Error(msgspec.Struct, frozen=True):
    # The HTTP status, as the specification has it; `problem` is our stable code for programs.
    code: int
    description: str
    problem: str


# The desk's page of keys (admins): never the key itself, but once, in the answer that made it.
class ApiKeyOut(msgspec.Struct, frozen=True):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyList(msgspec.Struct, frozen=True):
    items: list[ApiKeyOut]


class ApiKeyIn(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]


class ApiKeyCreated(msgspec.Struct, frozen=True):
    api_key: ApiKeyOut
    # Shown this once: only its digest is kept.
    key: str
