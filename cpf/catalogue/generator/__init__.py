"""Demo catalogue generator: ``generate_catalogue`` in ``catalogue.py``, run by
``manage.py generate_catalogue``."""
