"""Emulated Discord (REST API v10 + gateway) for tests and the demo console.

Never imported by the production ``aiguillage run`` path.
"""

from bot.emulator.actors import EmulatorUsageError
from bot.emulator.faults import Call, CallLog, Fault, UploadedFile
from bot.emulator.interactions import InteractionRecord, InteractionResult, message_text
from bot.emulator.rest import ApiError
from bot.emulator.server import EmulatedDiscord, MessageEvent
from bot.emulator.state import ChannelState, GuildState, MemberState, RoleState, UserState

__all__ = [
    "ApiError",
    "Call",
    "CallLog",
    "ChannelState",
    "EmulatedDiscord",
    "EmulatorUsageError",
    "Fault",
    "GuildState",
    "InteractionRecord",
    "InteractionResult",
    "MemberState",
    "MessageEvent",
    "RoleState",
    "UploadedFile",
    "UserState",
    "message_text",
]
