"""Data files shipped with reviewer-app: rule packs, icons, demo templates."""
