"""The headline demo (``make demo``) and the tiny offline models it and the tests train."""
