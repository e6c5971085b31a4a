from sprechzeit.core.errors import DomainError


class UnknownHost(DomainError):
    code = "unknown_host"
    default_message = "No platform is served at this address."


class PlatformInactive(DomainError):
    code = "platform_inactive"
    default_message = "This platform is currently not available."
