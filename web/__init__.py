"""torchpad.web: the built page (dist/, made by `npm run build`) as package data.

The server finds it with importlib.resources (server/config.py), the same way in a checkout
(an editable install maps torchpad.web to this folder) and in an installed wheel.
"""
