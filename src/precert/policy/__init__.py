"""The policy: a versioned data file, loaded into frozen models and chosen by date."""
