"""Discrete-event (salabim) models of the Hyper-V mobility features, one module per feature."""
from hvlab.models.drain import drain_host
from hvlab.models.live import live_migration
from hvlab.models.quick import quick_migration
from hvlab.models.shared_nothing import shared_nothing_migration
from hvlab.models.smb import smb_live_migration
from hvlab.models.storage_migration import storage_migration

__all__ = ["live_migration", "quick_migration", "storage_migration", "smb_live_migration",
           "shared_nothing_migration", "drain_host"]
