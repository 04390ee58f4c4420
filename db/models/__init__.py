"""All models. Each capability keeps its tables in its own module here; importing this
package imports every module so that ``Base.metadata`` (and Alembic) see all tables."""

import importlib
import pkgutil

from db.base import Base

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

from db.models.core import (  # noqa: E402
    AuditEntry,
    CommandSyncState,
    Guild,
    GuildSetting,
    ScheduledDelivery,
)
from db.models.documents import Document, DocumentVersion  # noqa: E402
from db.models.structures import Referent, Structure  # noqa: E402

__all__ = [
    "AuditEntry",
    "Base",
    "CommandSyncState",
    "Document",
    "DocumentVersion",
    "Guild",
    "GuildSetting",
    "Referent",
    "ScheduledDelivery",
    "Structure",
]
