"""Publication: what the registry may show, sent through the transactional outbox.

Owns: the outbox (rows enqueued in the same transaction as the change they announce, drained
in order, with backoff, into signed documents: register entries, credentials, status lists,
scheme information, the body's keys, marks, the audit log's checkpoint), the publishers that
deliver them (over HTTP to a registry in another process, or straight into one in the same
process), and the check of the audit log against the checkpoint the registry holds.

May import: :mod:`issuer.credentials`, :mod:`issuer.store`, the shared vocabulary and the
registry's and verifier's public packages (downward). Never the process or the edge.
"""

__all__: list[str] = []
