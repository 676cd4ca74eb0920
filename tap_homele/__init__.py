"""tap-homele: a Singer tap for the Homele CRM API.

Kept free of imports so that ``tap_homele.sandbox`` starts without loading the tap.
"""
