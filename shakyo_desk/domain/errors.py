"""Errors a user can cause. Each carries one Japanese sentence to show as is."""


class UserError(Exception):
    """A refusal the user can act on; nothing was changed."""

    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(UserError):
    exit_code = 2


class NotFound(UserError):
    exit_code = 3


class PermissionDenied(UserError):
    exit_code = 4


class AuthError(UserError):
    """Wrong passphrase, unknown or disabled account, bad recovery key."""

    exit_code = 5


class UnlockThrottled(AuthError):
    def __init__(self, message: str, seconds: float):
        super().__init__(message)
        self.seconds = seconds


class StoreError(UserError):
    """Missing, damaged or incompatible store; disk problems."""

    exit_code = 6


class IntegrityProblem(UserError):
    """`check` found the store unsound."""

    exit_code = 7
