"""The mobility features of the seed, one thin module each: validate the inputs, build the
run (resources, streams, fragments from `hvlab.sim`), run it, return the result.

- `live`: Live Migration (memory pre-copy);
- `quick`: Quick Migration (save, ownership move, restore);
- `smb_live`: SMB Live Migration (pre-copy; handles on the SMB 3 share moved in the blackout);
- `storage_live`: Storage Live Migration (mirror, single-pass copy, switch);
- `shared_nothing`: Shared Nothing Live Migration (storage copy, then pre-copy, over one link);
- `drain`: host draining (every VM off a host, sharing the link, with concurrency limits).
"""
from hvlab.models.drain import ORDERS, drain_host
from hvlab.models.live import live_migration
from hvlab.models.quick import quick_migration
from hvlab.models.shared_nothing import shared_nothing_migration
from hvlab.models.smb_live import smb_live_migration
from hvlab.models.storage_live import storage_migration

__all__ = ["live_migration", "quick_migration", "storage_migration", "smb_live_migration",
           "shared_nothing_migration", "drain_host", "ORDERS"]
