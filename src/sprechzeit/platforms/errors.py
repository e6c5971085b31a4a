from sprechzeit.core.errors import DomainError


class UnknownHost(DomainError):
    code = "unknown_host"
    http_status = 404
    default_message = "No platform is served at this address."


class PlatformInactive(DomainError):
    code = "platform_inactive"
    http_status = 404
    default_message = "This platform is currently not available."


class ContactRateLimited(DomainError):
    code = "contact_rate_limited"
    http_status = 429
    default_message = "Too many messages from this address; please try again later."
