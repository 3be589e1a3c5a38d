"""Compte Formation: the personal training account service (CPF = compte personnel de formation)."""
