"""Limits of the age wing that are not in :mod:`secxfer.limits`.

The header limits (size, stanza count, stanza body) come from ``secxfer.limits``;
these are the few the age layer adds.
"""

from __future__ import annotations

from secxfer.limits import KIB, MIB

# scrypt: log2(N). N=2**20 with r=8 needs 1 GiB and about two seconds; stock age
# encrypts with 18. Anything larger is refused before any work is done.
SCRYPT_MAX_LOG_N = 20

# ASCII armor: whitespace tolerated around the PEM block, and its line length.
ARMOR_MAX_OUTSIDE_WHITESPACE = 4 * KIB
ARMOR_MAX_LINE_BYTES = 128

# Chunks encrypted or decrypted per read/write call: fewer system calls, same
# constant memory (about 2 x 16 x 64 KiB).
STREAM_BATCH_CHUNKS = 16

# Recipients files (-R): bounded like key files.
RECIPIENTS_FILE_MAX_BYTES = 1 * MIB
