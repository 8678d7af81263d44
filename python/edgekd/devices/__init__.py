"""Device profiles (devices/*.toml): build flags, expected SIMD path, emulation, energy sensor, power model."""
from .profile import (
    DeviceProfile,
    PowerMode,
    PowerModel,
    list_profiles,
    load_profile,
    profile_names,
    search_dirs,
)

__all__ = [
    "DeviceProfile",
    "PowerMode",
    "PowerModel",
    "list_profiles",
    "load_profile",
    "profile_names",
    "search_dirs",
]
