"""The ceremony's rule data (capacity, RSVP cut-off, reminders, priority, seat areas): TOML files
read by ``models.rules.ceremony``. A folder of its own: the legal rule packs beside it are every
``*.toml`` directly in ``models/rules/packs``."""
