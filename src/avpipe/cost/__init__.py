"""Cost and time, before and after: MediaConvert prices and local encode-time estimates for a
plan (``estimate``, ``pricing``, ``calibration``), and the measured wall and CPU seconds of a
local run (``usage``)."""
