"""Cross-build edgekd-run for a device profile, bundle it with a model, run the bundle under qemu or on a
real device over OpenSSH."""
from .bundle import Bundle, build_bundle, verify_bundle  # noqa: F401
