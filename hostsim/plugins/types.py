"""The values that cross the addon API, typed so both sides agree on them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Mapping

if TYPE_CHECKING:
    from flask import Request

FieldType = Literal["text", "password", "yesno", "dropdown", "radio", "textarea"]
FIELD_TYPES: tuple[str, ...] = ("text", "password", "yesno", "dropdown", "radio", "textarea")


@dataclass(frozen=True)
class ConfigField:
    """One field of an addon's configuration (WHMCS: FriendlyName, Type, Description, Default)."""

    key: str
    friendly_name: str
    type: FieldType = "text"
    description: str = ""
    default: str = ""
    options: tuple[str, ...] = ()  # dropdown and radio
    rows: int = 3  # textarea
    cols: int = 60  # textarea

    def __post_init__(self) -> None:
        if self.type not in FIELD_TYPES:
            raise ValueError(f"config field {self.key!r}: unknown type {self.type!r}")
        if self.type in ("dropdown", "radio") and not self.options:
            raise ValueError(f"config field {self.key!r}: a {self.type} needs options")


@dataclass(frozen=True)
class AddonConfig:
    """What an addon declares about itself (WHMCS ``<module>_config()``)."""

    name: str
    version: str
    description: str = ""
    author: str = ""
    language: str = "english"
    fields: tuple[ConfigField, ...] = ()


@dataclass(frozen=True)
class ActivationResult:
    """The answer of activate and deactivate. ``error`` leaves the addon as it was."""

    status: Literal["success", "info", "error"] = "success"
    description: str = ""


@dataclass
class AdminPage:
    """What an addon's admin page receives (WHMCS ``$vars`` of ``<module>_output``)."""

    module: str
    module_link: str
    settings: Mapping[str, str]
    lang: Mapping[str, str]
    admin_id: int
    admin_username: str
    request: "Request"
    csrf_token: str


@dataclass
class ClientAreaRequest:
    """What an addon's client-area page receives."""

    module: str
    module_link: str
    settings: Mapping[str, str]
    client_id: int | None
    request: "Request"
    csrf_token: str


@dataclass
class ClientAreaPage:
    """An addon's client-area answer: rendered by the host through the template lookup."""

    page_title: str
    template: str
    breadcrumb: list[tuple[str, str]] = field(default_factory=list)  # (label, url)
    requirelogin: bool = False
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class JsonAnswer:
    """An addon may answer a client-area request with JSON instead of a page."""

    data: Any
    status: int = 200


@dataclass(frozen=True)
class ChartSeries:
    """One series of a :class:`Chart`: a value per label, and how each value reads.

    ``values`` are exact (``Decimal`` money, ``int`` counts); ``texts`` are what the data table
    and the bar labels show (``format_money(value, code)``); empty means ``str`` of each value.
    """

    name: str
    values: tuple[Any, ...]
    texts: tuple[str, ...] = ()

    def text(self, index: int) -> str:
        return self.texts[index] if self.texts else str(self.values[index])


@dataclass(frozen=True)
class Chart:
    """The data of a chart: categories (``labels``, months or statuses) and one or more series.

    The host draws it as an inline SVG bar chart (``horizontal`` bars for long category names)
    with a data table behind it; ``label_heading`` heads the table's first column ("Month").
    """

    title: str
    labels: tuple[str, ...]
    series: tuple[ChartSeries, ...]
    description: str = ""
    label_heading: str = ""
    horizontal: bool = False


@dataclass(frozen=True)
class AdminWidget:
    """An addon's panel on the admin dashboard (WHMCS ``AdminHomeWidgets``): a title and a
    chart, or HTML of its own (escaped by the addon), or both; lower ``order`` comes first."""

    title: str
    chart: Chart | None = None
    html: str = ""
    order: int = 100
