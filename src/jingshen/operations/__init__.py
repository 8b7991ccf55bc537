"""运维: backup and restore of the whole platform, health checks, upgrades (issue 20)."""
