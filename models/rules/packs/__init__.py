"""Legal rule packs as data: one TOML file per legal regime, read by ``eligibility``."""
