"""Named size and count limits, enforced before allocation.

A limit is configuration, not a literal buried in a parser: every reader of outside
data takes its bound from here, so a reviewer can see all of them at once.
"""

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB

# age layer
AGE_MAX_HEADER_BYTES = 64 * KIB
AGE_MAX_STANZAS = 64
AGE_MAX_STANZA_BODY_BYTES = 16 * KIB

# annex CSV
CSV_MAX_FIELD_CHARS = 256
CSV_MAX_LINE_BYTES = 8 * KIB
CSV_MAX_ROWS = 2_000_000

# package container and signed documents
PACKAGE_MAX_BYTES = 4 * GIB - 1  # FAT32 file size limit
PACKAGE_MAX_FILES = 64
PACKAGE_MAX_FILE_NAME = 64  # characters of a package file name on a medium (FAT32/exFAT/Joliet-safe)
MANIFEST_MAX_BYTES = 4 * MIB
OUTER_MAX_BYTES = 64 * KIB  # a package's outer signature file (.age.sig)
MEDIA_INDEX_MAX_BYTES = 4 * MIB  # a medium's SECXFER-INDEX.json
# A national directory: 4.6 MB with X25519 keys, 18.9 MB with hybrid ones, 36.8 MB while
# every municipality rotates to a second hybrid key (two keys, two enrollments each).
# The authority refuses to sign a directory beyond this, so a signed one is always readable.
DIRECTORY_MAX_BYTES = 64 * MIB
DIRECTORY_MAX_PARTICIPANTS = 10_000
SIGNATURES_MAX = 16
HOPS_MAX = 8
PROOF_MAX_DEPTH = 32
RECEIPT_MAX_BYTES = 64 * KIB
KEY_FILE_MAX_BYTES = 64 * KIB

# clocks: how far two honest computers' clocks may disagree (seconds). A hop may be
# dated this much before the hop it continues, a document this much after the
# verifier's own clock, a signature this much before its key was listed.
CLOCK_SKEW_SECONDS = 15 * 60
