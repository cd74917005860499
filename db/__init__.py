"""Postgres access: the asyncpg pool, SQL per aggregate and the ordered migrations; imports only core."""
