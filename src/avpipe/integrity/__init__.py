"""File integrity: what each published file should be, and ``avpipe verify`` checking it.

- The digests themselves are recorded where files are published: ``Store.fingerprint``
  (``storage/fingerprint.py``: SHA-256 locally, S3's own SHA-256 checksum or ETag on S3) is
  called by the publishing steps, and the records sit in the manifest beside each file.
- :mod:`avpipe.integrity.identity`: the original's digest as the asset's content identity
  (an identical re-upload is not re-encoded).
- :mod:`avpipe.integrity.verify`: checking published files against their manifest records,
  optionally decoding each media file end to end (:mod:`avpipe.integrity.decode`).
"""

from avpipe.integrity.verify import AssetReport, published_files, record_verification, verify_asset

__all__ = ["AssetReport", "published_files", "record_verification", "verify_asset"]
