"""The bounds every read of an untrusted file keeps. Kept light: the CLI needs them at
start-up."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Bounds checked from the zip directory and a streaming pre-scan; each is configurable."""

    max_bytes: int = 50 * MiB
    max_entries: int = 1000
    max_entry_size: int = 256 * MiB
    max_total_size: int = 512 * MiB
    max_ratio: float = 100.0
    ratio_grace: int = 1 * MiB
    max_cells: int = 2_000_000
    max_rows: int = 100_000
    max_merges: int = 10_000
    max_merged_cells: int = 200_000  # openpyxl makes an object for every merged cell
