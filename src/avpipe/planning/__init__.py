"""Pure planning: which renditions, which job settings, which thumbnail. No I/O here."""
