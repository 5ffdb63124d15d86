"""Cassandra node simulator for the ringsnap lab (see ../README.md and sim.py).

Every module is standard library only and imports little, because each `nodetool` call starts
a fresh interpreter and must answer in well under 100 ms.
"""
