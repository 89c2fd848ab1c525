def mask_completely(value):
    """The audit trail says a personal field changed, never its value."""
    return "•••"
