"""SolusIO REST API client (contract: docs/solusio-api.md).

    from solusio_addon.solusio_api import SolusioClient, SolusioError
    client = SolusioClient("https://solus.example.com", api_key, verify=True)
    client.test_connection()

Connection knobs (timeouts, retries, proxy, ...) are the fields of ``ClientOptions``.
"""

from .client import DEFAULT_LOGIN_URL_TEMPLATE, SolusioClient
from .errors import (
    SolusioAuthError,
    SolusioBadResponse,
    SolusioConfigError,
    SolusioConnectionError,
    SolusioError,
    SolusioNotFound,
    SolusioPermissionError,
    SolusioRateLimited,
    SolusioServerError,
    SolusioTimeout,
    SolusioTLSError,
    SolusioValidationError,
)
from .models import (
    USER_STATUSES,
    ConnectionCheck,
    Limit,
    LimitGroup,
    Plan,
    PlanPrice,
    Role,
    Server,
    Usage,
    UsageItem,
    User,
)
from .options import ClientOptions
from .retry import parse_retry_after
from .transport import installation_url, normalize_base_url

__all__ = [
    "SolusioClient",
    "ClientOptions",
    "DEFAULT_LOGIN_URL_TEMPLATE",
    "SolusioError",
    "SolusioConfigError",
    "SolusioAuthError",
    "SolusioPermissionError",
    "SolusioNotFound",
    "SolusioValidationError",
    "SolusioRateLimited",
    "SolusioServerError",
    "SolusioTimeout",
    "SolusioConnectionError",
    "SolusioTLSError",
    "SolusioBadResponse",
    "User",
    "Role",
    "Limit",
    "LimitGroup",
    "Plan",
    "PlanPrice",
    "Server",
    "Usage",
    "UsageItem",
    "ConnectionCheck",
    "USER_STATUSES",
    "normalize_base_url",
    "installation_url",
    "parse_retry_after",
]
