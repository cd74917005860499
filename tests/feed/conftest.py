"""The feed tests share the auth tests' app, key factory and reference tickers."""

from tests.auth.conftest import _auth_tickers, auth_app, bare, make_key

__all__ = ["_auth_tickers", "auth_app", "bare", "make_key"]
