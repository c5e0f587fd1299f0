"""Settings: defaults ← TOML file ← the workbook's 设置 sheet (the sheet wins). The declarations are in
sections.py, reading them from a file or the sheet in loading.py."""
from __future__ import annotations

from .loading import (documented_settings, file_limits, label_index, load_settings, load_toml, settings_from_mapping,
                      sheet_mapping, store_settings)
from .sections import (Context, Insurer, Limits, MailSettings, RegionSettings, RegionStore, ScheduleSettings, Settings, StaffSettings, Target, Thresholds)

__all__ = ["Context", "Insurer", "Limits", "MailSettings", "RegionSettings", "RegionStore", "ScheduleSettings", "Settings", "StaffSettings", "Target", "Thresholds", "documented_settings", "file_limits", "label_index", "load_settings", "load_toml", "settings_from_mapping", "sheet_mapping", "store_settings"]
