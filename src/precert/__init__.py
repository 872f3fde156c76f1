"""Electronic pre-certification for MO HealthNet's chronic pain therapies program."""
