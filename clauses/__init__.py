"""Clause catalogs: the standards as data (ASQMS, crosswalks, other frameworks) and their loader."""
