"""Benchmarks: ``python -m bench [name …]`` (``make bench``).

Each benchmark is a module with ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(options, out)``, registered in ``__main__.BENCHMARKS``. They run in a database of their
own (``<name>_bench`` on the same server, see ``database.py``), so the developer's data are
never touched, and they print figures; nothing is asserted.
"""
