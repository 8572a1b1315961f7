"""The issuer security context: the certification body's system of record.

Schemes, staff, persons, applications, examinations, decisions, certifications and the
hash-chained audit log live here, with the body's personal data. Nothing in the registry or
verifier packages may import from here.

Its subpackages, top to bottom (each imports only its own layer and those below;
docs/ARCHITECTURE.md draws the map): the edge (``cli``, ``http``, ``bench``), ``bulk``
issuance, the certification ``process``, ``publication``, ``credentials``, the ``store``,
and the shared vocabulary (``model``, ``errors``, ``runtime``, ``heap``, ``lifeline``).
"""

__all__: list[str] = []
