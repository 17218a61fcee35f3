"""The headline demo (``make demo``); its tiny offline tasks ship as ``flair_lrguard.examples``
and ``hf_lrguard.examples``."""
