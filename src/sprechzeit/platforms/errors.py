from sprechzeit.core.errors import DomainError


class UnknownHost(DomainError):
    code = "unknown_host"
    default_message = "No platform is served at this address."


class PlatformInactive(DomainError):
    code = "platform_inactive"
    default_message = "This platform is currently not available."


class ContactRateLimited(DomainError):
    code = "contact_rate_limited"
    default_message = "Too many messages from this address; please try again later."
