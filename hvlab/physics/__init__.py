"""Pure physics and arithmetic shared by the closed forms and the simulation core: how fast a
transfer can go, how a guest dirties memory, what I/O costs an array and how queues respond.
Nothing here runs a simulation or imports from `hvlab.sim` or `hvlab.models`."""
