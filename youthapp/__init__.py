"""The youth support programme: its records, rules and services, with no web framework in it."""
