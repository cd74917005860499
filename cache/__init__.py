"""Redis: the client, the key scheme, cache generations and pub/sub; imports only core."""
