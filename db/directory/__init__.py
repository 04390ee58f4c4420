"""The directory's shared logic, with no Discord types: the national standard (validation,
import, export, data·inclusion), need matching with the synonym table, ranked search
queries and opening-hours evaluation (Europe/Paris, French public holidays).

Shared here, not in a cog, because three capabilities read the directory: `/orienter`
(cogs/directory), the residents' guide (cogs/guide) and the observatory (cogs/observatory).
"""
