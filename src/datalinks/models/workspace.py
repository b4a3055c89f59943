from __future__ import annotations

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from datalinks.models.base import KEY_MAX, NAME_MAX, Base, IdMixin, TimestampMixin


class Workspace(IdMixin, TimestampMixin, Base):
    """A tenant of the service: its key is a token's `iss`, its secret signs the token."""

    __tablename__ = "workspaces"

    key: Mapped[str] = mapped_column(String(KEY_MAX), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(NAME_MAX), nullable=False)
    secret: Mapped[str] = mapped_column(Text, nullable=False)
