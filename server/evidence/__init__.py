"""Evidence: signed ops, the hash chain of revisions, signed checkpoints, case files.

The pure parts (canonical form, signatures, chain and Merkle hashing, case
file verification) belong to the protocol and live in ``sync``; this
package keeps them in the database.
"""
