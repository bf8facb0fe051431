"""Operation builders, one module per resource: validate the arguments, describe the call.

A builder returns a :class:`composio._operation.Operation` (or a flow of them); the sync and
the async resource facades both call it, so each rule is written once.
"""
