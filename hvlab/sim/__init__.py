"""The simulation core every model is built from.

- `environment`: a private salabim Environment per run (`new_environment`);
- `sharing`: capacities (links, arrays) that concurrent transfers and background streams share
  max-min fairly (`SharedResources`; the allocation policy is its extension point);
- `records`: typed records the fragments fill in while a run goes on;
- process fragments, used with ``yield from`` inside a salabim process:
  `precopy.run_precopy` (pre-copy passes and blackout), `storage_copy.StorageMove` (mirror,
  single-pass copy, switch), `handles` (the SMB handle move), `copy_then_precopy` (the
  Shared Nothing sequence); each with the builder of its result;
- `io_queue`: an M/M/1 queue simulation that checks the queueing formulas.

The physics these use (transfer rates, dirtying, I/O cost, queueing formulas) is in
`hvlab.physics`; the feature models that assemble them are in `hvlab.models`.
"""
