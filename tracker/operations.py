"""One door for every change: an operation per change, and one place that commits.

An operation is a function in its domain's `operations.py` (tracker/progress/operations.py, …) that takes
the acting user and an input the form or API has already shaped, asks the policy itself whether the actor
may, changes the data, flushes, and raises a DomainError when it cannot: NotAllowed, NotFound, Conflict, or
Invalid with a message per field. It never commits. A page or API endpoint calls it through `perform`,
the only place a request commits, and translates the result or the error to HTML or JSON.

`REGISTRY` lists every operation by name (`progress.update_line`, …): a reviewer reads them in one place
per domain, and the tests check that each change a page or endpoint makes went through one.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import g, has_app_context
from sqlalchemy.orm.exc import StaleDataError

from .extensions import db

P = ParamSpec("P")
R = TypeVar("R")

REGISTRY: dict[str, Callable] = {}


class DomainError(Exception):
    """A change the domain refuses; `status` is the HTTP answer a page or API endpoint gives it."""

    status = 400

    def __init__(self, message: str = "", **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra


class NotAllowed(DomainError):
    """The actor may not make this change."""

    status = 403


class NotFound(DomainError):
    """What the change points at does not exist (or is not the actor's to see)."""

    status = 404


class Conflict(DomainError):
    """Someone changed the data since the actor read it; `current` is the newer state."""

    status = 409

    def __init__(self, message: str = "", current=None, **extra):
        super().__init__(message, **extra)
        self.current = current


class PreconditionFailed(DomainError):
    """The client's condition on the change (If-Match) no longer holds: the data moved on since it read it."""

    status = 412


class Invalid(DomainError):
    """The input breaks a rule: a message (or several) per field."""

    status = 400

    def __init__(self, errors: dict[str, str | list[str]], message: str = ""):
        super().__init__(message or "; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = {field: [str(m) for m in (msgs if isinstance(msgs, (list, tuple)) else [msgs])]
                       for field, msgs in errors.items()}

    def first(self, field: str) -> str | None:
        """The first message for a field, if any."""
        return (self.errors.get(field) or [None])[0]


def operation(fn: Callable[P, R] | None = None, *, audited: bool = False):
    """Register a change under `<domain>.<name>`; each call is noted on the request for the tests.

    `@operation(audited=True)` marks an administrative act (accounts, roles, tokens, settings, deadlines,
    assignments, imports): what it changes is written to the administrative record (tracker/audit.py),
    with the actor, its first argument when that is an account.
    """
    if fn is None:
        return functools.partial(operation, audited=audited)
    module = fn.__module__.split(".")
    domain = module[-2] if module[-1] == "operations" else module[-1]
    name = f"{domain}.{fn.__name__}"
    if name in REGISTRY and REGISTRY[name] is not fn:
        raise RuntimeError(f"two operations named {name}")

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        if has_app_context():
            g.setdefault("operations_run", []).append(name)
        if not audited:
            return fn(*args, **kwargs)
        from .audit import watching
        actor = args[0] if args and _is_account(args[0]) else None
        with watching(name, actor) as scope:
            result = fn(*args, **kwargs)
            if actor is None and _is_account(result):
                scope["actor"] = result  # sign-in and invitations: the account acts for itself
            return result

    run.operation_name = name  # type: ignore[attr-defined]
    run.audited = audited  # type: ignore[attr-defined]
    REGISTRY[name] = run
    return run


def _is_account(value) -> bool:
    # Duck-typed (this module sits below the auth domain): an account has an id, an e-mail and a role; what a
    # directory says of a person (auth.directory.DirectoryPerson) has the last two but is nobody's account yet.
    return all(hasattr(value, name) for name in ("id", "email", "role"))


def check_before_commit(check: Callable[[], None]) -> None:
    """Have this request's `perform` run `check` after its operation and before the commit.

    For a condition the request itself sets (an API client's If-Match): the operation's own refusals answer
    first, and a check that raises a DomainError rolls the change back whole.
    """
    g.setdefault("before_commit", []).append(check)


def perform(op: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run one operation and commit what it did; on a refusal roll back and re-raise.

    The only commit a web request makes: views and API endpoints call their change through here, so a
    change is whole or absent. A concurrent save that the version column catches at flush or commit
    becomes a Conflict like the operation's own check.
    """
    if not hasattr(op, "operation_name"):
        raise TypeError(f"{getattr(op, '__name__', op)} is not an operation")
    try:
        result = op(*args, **kwargs)
        for check in g.pop("before_commit", []) if has_app_context() else ():
            check()
        db.session.commit()
    except DomainError:
        db.session.rollback()
        raise
    except StaleDataError:
        db.session.rollback()
        raise Conflict() from None
    return result


def operations_run() -> list[str]:
    """The operations this request has run so far, by name."""
    return list(g.get("operations_run", [])) if has_app_context() else []
