"""Typed access to the request in resolvers: `info.context.request.user`."""

from __future__ import annotations

from typing import TypeAlias

import strawberry
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from strawberry.django.context import StrawberryDjangoContext

from config.errors import NotSignedIn

Info: TypeAlias = strawberry.Info[StrawberryDjangoContext, None]

NOT_SIGNED_IN = "You must be signed in (API key or admin session)."


def current_user(info: Info) -> AbstractBaseUser | AnonymousUser:
    return info.context.request.user


def require_user(info: Info) -> AbstractBaseUser:
    """The signed-in user, or NotSignedIn (UNAUTHENTICATED) with a readable message."""
    user = current_user(info)
    if not user.is_authenticated:
        raise NotSignedIn(NOT_SIGNED_IN)
    return user


def require_perm(info: Info, perm: str) -> AbstractBaseUser:
    """The signed-in user if they hold `perm` (e.g. 'learn.view_learnitem')."""
    user = require_user(info)
    if not user.has_perm(perm):
        raise PermissionDenied(f"You don't have permission to do this ({perm}).")
    return user
